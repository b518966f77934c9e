/*
 * Partnerkreis member portal: progressive enhancement only. Every page works
 * without this file. It shows the copy buttons (hidden without JavaScript) and
 * copies a code with one click, selects a code field when it is clicked, fits
 * each preview frame to its block and reloads it when the rotation moves on.
 */
(function () {
  "use strict";

  function selectAll(field) {
    field.focus();
    field.select();
  }

  function copyBySelection(field) {
    selectAll(field);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function report(button, status, ok) {
    button.setAttribute("data-copied", ok ? "true" : "false");
    status.textContent = button.getAttribute(ok ? "data-copied-text" : "data-failed-text");
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    var status = document.getElementById(id + "-status");
    if (!field || !status) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () {
            report(button, status, true);
          },
          function () {
            report(button, status, copyBySelection(field));
          }
        );
      } else {
        report(button, status, copyBySelection(field));
      }
    });
  });

  document.querySelectorAll(".copy-field").forEach(function (field) {
    // On click, not only on focus: the mouse-up after focus would undo the selection.
    field.addEventListener("click", function () {
      if (field.selectionStart === field.selectionEnd) field.select();
    });
    field.addEventListener("focus", function () {
      field.select();
    });
  });

  function fit(frame) {
    try {
      var body = frame.contentDocument && frame.contentDocument.body;
      if (!body) return;
      var height = Math.ceil(body.getBoundingClientRect().height);
      frame.height = String(Math.min(Math.max(height + 4, 64), 1600));
    } catch (e) {
      /* keep the fixed height */
    }
  }

  function reload(frame) {
    frame.setAttribute("src", frame.getAttribute("src"));
  }

  document.querySelectorAll("iframe.preview-frame").forEach(function (frame) {
    frame.addEventListener("load", function () {
      fit(frame);
      frame.setAttribute("data-loaded", String(Date.now()));
    });
    fit(frame);
    var first = Number(frame.getAttribute("data-refresh")) || 300;
    var every = Number(frame.getAttribute("data-interval")) || 300;
    setTimeout(function tick() {
      reload(frame);
      setTimeout(tick, every * 1000);
    }, (first + 1) * 1000);
  });

  document.querySelectorAll("a[data-reload]").forEach(function (link) {
    var frame = document.getElementById(link.getAttribute("data-reload"));
    if (!frame) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      reload(frame);
    });
  });
})();
