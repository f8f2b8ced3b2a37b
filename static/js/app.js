/*
 * Project invoicing: small behaviours of the portal, attached by data attributes (no inline JS,
 * CSP script-src 'self').
 *
 *   <form data-confirm="Delete this draft?">        asks before submitting
 *   <button data-confirm="…">                       asks before that button submits
 *   <select data-autosubmit>                         submits its form on change
 *   <input type="checkbox" data-select-all="rows">  checks every [data-select-item="rows"]
 *   <span data-selected-count="rows">               shows how many of them are checked
 *   <button data-requires-selection="rows">          disabled while none is checked
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function confirmMessage(element) {
    return element ? element.getAttribute("data-confirm") : null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = confirmMessage(event.submitter && event.submitter.closest("[data-confirm]"))
      || confirmMessage(form.closest("[data-confirm]"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-autosubmit]") && target.form) {
      if (typeof target.form.requestSubmit === "function") {
        target.form.requestSubmit();
      } else {
        target.form.submit();
      }
    }
  });

  function items(group, root) {
    return Array.prototype.slice.call(
      (root || document).querySelectorAll('input[type="checkbox"][data-select-item="' + group + '"]')
    );
  }

  function refresh(group) {
    var all = items(group);
    var checked = all.filter(function (box) { return box.checked; }).length;
    document.querySelectorAll('[data-selected-count="' + group + '"]').forEach(function (el) {
      el.textContent = String(checked);
    });
    document.querySelectorAll('[data-requires-selection="' + group + '"]').forEach(function (el) {
      el.disabled = checked === 0;
    });
    document.querySelectorAll('input[type="checkbox"][data-select-all="' + group + '"]').forEach(function (box) {
      box.checked = all.length > 0 && checked === all.length;
      box.indeterminate = checked > 0 && checked < all.length;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches('input[type="checkbox"][data-select-all]')) {
      var group = target.getAttribute("data-select-all");
      items(group).forEach(function (box) { box.checked = target.checked; });
      refresh(group);
    } else if (target.matches('input[type="checkbox"][data-select-item]')) {
      refresh(target.getAttribute("data-select-item"));
    }
  });

  function refreshAll(root) {
    var groups = {};
    (root || document).querySelectorAll("[data-select-item], [data-select-all]").forEach(function (el) {
      groups[el.getAttribute("data-select-item") || el.getAttribute("data-select-all")] = true;
    });
    Object.keys(groups).forEach(refresh);
  }

  document.addEventListener("DOMContentLoaded", function () { refreshAll(); });
  // Content swapped in by htmx gets the same behaviour.
  document.addEventListener("htmx:afterSettle", function (event) { refreshAll(event.target); });
})();
