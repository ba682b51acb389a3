// Keyboard shortcuts for the review pages. Every action is a plain form on the
// page; this script only moves the selection and presses those forms.
(function () {
  "use strict";

  function items() { return Array.prototype.slice.call(document.querySelectorAll(".item")); }

  function current() { return document.querySelector(".item.current"); }

  function select(item) {
    items().forEach(function (el) { el.classList.remove("current"); });
    if (item) {
      item.classList.add("current");
      item.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var all = items();
    if (!all.length) { return; }
    var at = all.indexOf(current());
    var next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
    select(all[next]);
    sessionStorage.setItem("tracker.current", all[next].dataset.id || "");
  }

  function press(selector) {
    var item = current();
    var form = item && item.querySelector(selector);
    // requestSubmit() fires the submit listener that keeps the place in the list;
    // form.submit() would not.
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  function edit() {
    var item = current();
    var details = item && item.querySelector("details.edit");
    if (!details) { return; }
    details.open = true;
    var box = details.querySelector("textarea");
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  function toggleHelp(show) {
    var help = document.getElementById("help");
    if (help) { help.hidden = show === undefined ? !help.hidden : !show; }
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing(event.target)) { event.target.blur(); }
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
        event.preventDefault();
        var form = event.target.form;
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var actions = {
      j: function () { move(1); },
      k: function () { move(-1); },
      a: function () { press("form.accept"); },
      r: function () { press("form.reject"); },
      e: edit,
      u: function () { var undo = document.getElementById("undo-form"); if (undo) { undo.submit(); } },
      "?": function () { toggleHelp(); }
    };
    var action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  function pollRefresh(state) {
    var progress = document.getElementById("progress");
    var ticks = 0;
    function poll() {
      fetch("/api/status", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (reply) { return reply.ok ? reply.json() : null; })
        .then(function (status) {
          if (status && !status.refresh_running) { window.location.replace("/runs"); return; }
          ticks += 1;
          if (progress) { progress.textContent = " " + ".".repeat(ticks % 4) + " " + (ticks * 2) + " s"; }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    if (state.dataset.running) { setTimeout(poll, 2000); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var all = items();
    var remembered = sessionStorage.getItem("tracker.current");
    var start = all.filter(function (el) { return el.dataset.id === remembered; })[0];
    if (!start && all.length) {
      // After a decision the item is gone: keep the place in the list.
      var place = parseInt(sessionStorage.getItem("tracker.place") || "0", 10);
      start = all[Math.min(place, all.length - 1)];
    }
    select(start || null);
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function () {
        sessionStorage.setItem("tracker.place", String(Math.max(0, all.indexOf(current()))));
      });
    });
    document.querySelectorAll("[data-help]").forEach(function (button) {
      button.addEventListener("click", function () { toggleHelp(); });
    });
    var help = document.getElementById("help");
    if (help) { help.addEventListener("click", function () { toggleHelp(false); }); }
    var state = document.getElementById("refresh-state");
    if (state) { pollRefresh(state); }
  });
})();
