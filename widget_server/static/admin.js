/*
 * Partnerkreis admin: progressive enhancement only. Every page works without
 * this file. It refreshes the rules preview while a coordinator edits (the
 * same server-side preview the "Vorschau" button shows), shows the copy
 * buttons of embed codes and selects a link or code on focus.
 */
(function () {
  "use strict";

  function refresher(form, target) {
    var timer = null;
    var latest = 0;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var ticket = ++latest;
        fetch(form.getAttribute("data-preview"), {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "text/html" },
        })
          .then(function (response) {
            return response.text();
          })
          .then(function (html) {
            if (ticket !== latest) return; // an older answer arriving late
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.querySelector(".preview");
            if (fresh) target.replaceChildren(document.importNode(fresh, true));
          })
          .catch(function () {
            /* the preview button still works */
          });
      }, 400);
    };
  }

  var target = document.getElementById("rules-preview");
  if (target) {
    document.querySelectorAll("form[data-preview]").forEach(function (form) {
      var refresh = refresher(form, target);
      form.addEventListener("input", refresh);
      form.addEventListener("change", refresh);
    });
  }

  // The help and the settings follow the chosen strategy (the server does the same
  // on "Preview", so without this file the page is right after one click).
  var strategy = document.getElementById("f-strategy");
  if (strategy) {
    var follow = function () {
      var chosen = strategy.value;
      document.querySelectorAll("[data-strategy-help]").forEach(function (el) {
        el.hidden = el.getAttribute("data-strategy-help") !== chosen;
      });
      document.querySelectorAll("[data-strategies]").forEach(function (el) {
        el.hidden = el.getAttribute("data-strategies").split(" ").indexOf(chosen) < 0;
      });
    };
    strategy.addEventListener("change", follow);
    follow();
  }

  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  // Copy buttons (hidden without this file): the code fields stay selectable by hand.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    var status = document.getElementById(id + "-status");
    if (!field || !status) return;
    button.hidden = false;
    function report(ok) {
      button.setAttribute("data-copied", ok ? "true" : "false");
      status.textContent = button.getAttribute(ok ? "data-copied-text" : "data-failed-text");
    }
    button.addEventListener("click", function () {
      status.textContent = "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () {
            report(true);
          },
          function () {
            report(copyBySelection(field));
          }
        );
      } else {
        report(copyBySelection(field));
      }
    });
  });

  // A form whose answer takes seconds (the simulator of a large theme): while the
  // next page loads, its button is off and a note says it is working. Without this
  // file the browser's own loading indicator is all there is.
  function idle(form, busy) {
    var note = form.querySelector("[data-busy-note]");
    var button = form.querySelector("button[type=submit]");
    if (note) note.hidden = !busy;
    if (button) button.disabled = busy;
    if (busy) form.setAttribute("aria-busy", "true");
    else form.removeAttribute("aria-busy");
  }
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      // After the browser has taken the form's values: a disabled button is left out.
      setTimeout(function () {
        idle(form, true);
      }, 0);
    });
  });
  // Back to the page from the next one (the back/forward cache keeps it as it was).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      idle(form, false);
    });
  });

  document.querySelectorAll(".copy-field").forEach(function (field) {
    field.addEventListener("click", function () {
      if (field.selectionStart === field.selectionEnd) field.select();
    });
    field.addEventListener("focus", function () {
      field.select();
    });
  });
})();
