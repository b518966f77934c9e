/*
 * Partnerkreis admin: progressive enhancement only. Every page works without
 * this file. It refreshes the rules preview while a coordinator edits (the
 * same server-side preview the "Vorschau" button shows) and selects a portal
 * link on focus so it is easy to copy.
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

  document.querySelectorAll(".copy-field").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });
})();
