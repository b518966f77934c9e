/*
 * Partnerkreis: find a large theme's members by name in the event and offer forms
 * (admin and portal). Progressive enhancement only: without this file the form
 * takes more participants by short name in its text field. A search box (shown
 * by this file) asks the server for up to 20 members whose name holds what was
 * typed; "Add" gives the member a ticked box of its own in the form. Names are
 * member-provided text: only ever set as textContent.
 */
(function () {
  "use strict";

  function sameBox(form, slug) {
    var boxes = form ? form.querySelectorAll('input[type="checkbox"][name="participants"]') : [];
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === slug) return boxes[i];
    }
    return null;
  }

  function described(member) {
    return member.name + (member.town ? ", " + member.town : "");
  }

  function enhance(box) {
    var input = box.querySelector('input[type="search"]');
    var status = box.querySelector('[role="status"]');
    var list = box.querySelector(".found-list");
    var chosen = box.querySelector(".found-participants");
    var form = box.closest("form");
    var url = box.getAttribute("data-search");
    var timer = null;
    var latest = 0;
    if (!input || !status || !list || !chosen || !url) return;
    box.hidden = false;

    function add(member) {
      var existing = sameBox(form, member.slug);
      if (existing) {
        existing.checked = true;
        return;
      }
      var item = document.createElement("li");
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.name = "participants";
      tick.value = member.slug;
      tick.checked = true;
      tick.id = input.id + "-" + member.slug;
      var label = document.createElement("label");
      label.htmlFor = tick.id;
      label.textContent = described(member);
      item.append(tick, " ", label);
      chosen.append(item);
    }

    function show(answer) {
      list.replaceChildren();
      answer.members.forEach(function (member) {
        var item = document.createElement("li");
        var text = document.createElement("span");
        text.textContent = described(member) + " (" + member.slug + ")";
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button-small button-secondary";
        button.textContent = box.getAttribute("data-add");
        button.setAttribute("aria-label", box.getAttribute("data-add") + ": " + member.name);
        button.addEventListener("click", function () {
          add(member);
          item.remove();
          input.focus();
        });
        item.append(text, " ", button);
        list.append(item);
      });
      if (!answer.members.length) status.textContent = box.getAttribute("data-none");
      else status.textContent = answer.more ? box.getAttribute("data-more") : "";
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) {
        latest++; // an answer still on its way is no longer wanted
        list.replaceChildren();
        status.textContent = query ? box.getAttribute("data-short") : "";
        return;
      }
      timer = setTimeout(function () {
        var ticket = ++latest;
        var join = url.indexOf("?") < 0 ? "?" : "&";
        fetch(url + join + "q=" + encodeURIComponent(query), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
            return response.json();
          })
          .then(function (answer) {
            if (ticket === latest) show(answer);
          })
          .catch(function () {
            if (ticket === latest) status.textContent = box.getAttribute("data-failed");
          });
      }, 250);
    });
    // Enter in the search box searches; it must not send the form half filled in.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  }

  document.querySelectorAll(".participant-search[data-search]").forEach(enhance);
})();
