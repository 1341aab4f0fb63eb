// Keyboard-first navigation for people who live in the queue all day.
// No inline handlers: the CSP allows only scripts from our own origin.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.tickets tbody tr[data-href]")); }
  function select(list, i) {
    list.forEach(function (r) { r.classList.remove("selected"); });
    if (list[i]) { list[i].classList.add("selected"); list[i].scrollIntoView({ block: "nearest" }); }
  }
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-href]");
    if (row && !e.target.closest("a, button, input, select, textarea")) { window.location = row.getAttribute("data-href"); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.tagName === "TEXTAREA" && e.target.form) {
      e.preventDefault();
      e.target.form.requestSubmit();
      return;
    }
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var list = rows();
    var current = list.findIndex(function (r) { return r.classList.contains("selected"); });
    switch (e.key) {
      case "/": {
        var s = document.getElementById("global-search");
        if (s) { e.preventDefault(); s.focus(); s.select(); }
        break;
      }
      case "n": {
        var n = document.getElementById("new-ticket-link") || document.getElementById("portal-new-link");
        if (n) { window.location = n.getAttribute("href"); }
        break;
      }
      case "j": select(list, Math.min(current + 1, list.length - 1)); break;
      case "k": select(list, Math.max(current - 1, 0)); break;
      case "Enter": if (current >= 0) { window.location = list[current].getAttribute("data-href"); } break;
      case "r": {
        var r = document.getElementById("reply-body");
        if (r) { e.preventDefault(); r.focus(); }
        break;
      }
    }
  });
})();
