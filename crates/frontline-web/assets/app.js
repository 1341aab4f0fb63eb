// Keyboard-first navigation for people who live in the queue all day.
// No inline handlers: the CSP allows only scripts from our own origin.
(function () {
  "use strict";
  var PREF = "frontline.shortcuts";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  // Single-key shortcuts can be turned off (WCAG 2.1.4), kept per browser.
  function shortcutsOn() {
    try { return window.localStorage.getItem(PREF) !== "off"; } catch (err) { return true; }
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.tickets tbody tr[data-href]")); }
  // The chosen row is announced: aria-current on the row and focus on its link.
  function select(list, i) {
    list.forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-current"); });
    var row = list[i];
    if (!row) { return; }
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
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
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey || !shortcutsOn()) { return; }
    // Shift is allowed only for "/" (it needs Shift on many layouts).
    if (e.shiftKey && e.key !== "/") { return; }
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
      case "j": if (list.length) { e.preventDefault(); select(list, Math.min(current + 1, list.length - 1)); } break;
      case "k": if (list.length) { e.preventDefault(); select(list, Math.max(current - 1, 0)); } break;
      case "r": {
        var r = document.getElementById("reply-body");
        if (r) { e.preventDefault(); r.focus(); }
        break;
      }
    }
  });
  var SAVED = {
    properties: "Properties saved.", reply: "Reply sent to the customer.", note: "Internal note added.",
    user: "Person saved.", organization: "Organization saved.", team: "Team saved.", position: "Position saved.",
    mail: "Mail settings saved.", token: "Token revoked.", notifications: "Notification settings saved.",
    "all-read": "All notifications marked read.", availability: "Availability set."
  };
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("shortcuts-toggle");
    if (toggle) {
      toggle.checked = shortcutsOn();
      toggle.addEventListener("change", function () {
        try { window.localStorage.setItem(PREF, toggle.checked ? "on" : "off"); } catch (err) { /* private mode: stays on */ }
      });
    }
    // After a failed submit, start at the first field to fix.
    var bad = document.querySelector("[aria-invalid=true]") || document.querySelector(".form-error");
    if (bad) {
      if (!bad.matches("input, select, textarea")) { bad.setAttribute("tabindex", "-1"); }
      bad.focus();
    }
    // After a save (the redirect says which), announce it once.
    var url = new URL(window.location.href);
    var saved = url.searchParams.get("saved");
    var flash = document.getElementById("flash");
    if (saved && flash) {
      url.searchParams.delete("saved");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      // A short delay so screen readers notice the change of a live region.
      window.setTimeout(function () { flash.textContent = SAVED[saved] || "Saved."; }, 100);
    }
  });
})();
