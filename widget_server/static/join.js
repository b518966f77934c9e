/*
 * Partnerkreis "Mitglied werden": progressive enhancement only. The form and
 * its "Update preview" button work without this file. It updates the preview
 * card as the business types, and shows the copy buttons on the status page.
 */
(function () {
  "use strict";

  var form = document.getElementById("join-form");
  var card = document.querySelector("#join-preview .pk-item");
  if (form && card) {
    var body = card.querySelector(".pk-body");
    var nameOf = card.querySelector(".pk-name");
    var fallbackName = nameOf ? nameOf.textContent : "";

    function part(cls, after) {
      var el = body.querySelector("." + cls);
      if (!el) {
        el = document.createElement("span");
        el.className = cls;
        if (after && after.nextSibling) body.insertBefore(el, after.nextSibling);
        else body.appendChild(el);
      }
      return el;
    }

    function value(name) {
      var field = form.querySelector('[data-preview-field="' + name + '"]');
      if (!field) return "";
      if (field.tagName === "SELECT") {
        return field.value ? field.options[field.selectedIndex].text : "";
      }
      return field.value.replace(/\s+/g, " ").trim();
    }

    function update() {
      var name = value("name") || fallbackName;
      nameOf.textContent = name;
      var mono = card.querySelector(".pk-mono");
      if (mono) mono.textContent = name.charAt(0).toUpperCase();
      var meta = [value("category"), value("town")].filter(Boolean).join(" · ");
      var metaEl = part("pk-meta", nameOf);
      metaEl.textContent = meta;
      metaEl.hidden = !meta;
      var desc = value("description").slice(0, 300);
      var descEl = part("pk-desc", metaEl);
      descEl.textContent = desc;
      descEl.hidden = !desc;
    }

    form.addEventListener("input", update);
    form.addEventListener("change", update);
  }

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
    function bySelection() {
      field.focus();
      field.select();
      try {
        return document.execCommand("copy");
      } catch (e) {
        return false;
      }
    }
    button.addEventListener("click", function () {
      status.textContent = "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () {
            report(true);
          },
          function () {
            report(bySelection());
          }
        );
      } else {
        report(bySelection());
      }
    });
  });

  document.querySelectorAll(".copy-field").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });
})();
