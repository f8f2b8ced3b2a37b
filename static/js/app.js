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
 *   <button data-unsaved-guard="Save first …">       refuses to submit while another form of
 *                                                    the page holds typed, unsaved changes
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function confirmMessage(element) {
    return element ? element.getAttribute("data-confirm") : null;
  }

  function isDirty(field) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button"
        || field.hasAttribute("data-select-item") || field.hasAttribute("data-select-all")) {
      return false;
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      // A single select with no option marked selected shows (and had) its first one.
      var options = Array.prototype.slice.call(field.options);
      var marked = options.some(function (option) { return option.defaultSelected; });
      return options.some(function (option, index) {
        var was = marked ? option.defaultSelected : !field.multiple && index === 0;
        return option.selected !== was;
      });
    }
    return field.value !== field.defaultValue;
  }

  // Post, Confirm: never drop what was typed in another form of the page and not saved.
  document.addEventListener("submit", function (event) {
    var guard = event.submitter && event.submitter.closest("[data-unsaved-guard]");
    if (!guard) {
      return;
    }
    var dirty = null;
    document.querySelectorAll("form:not([role=search])").forEach(function (other) {
      if (other === event.target || dirty) {
        return;
      }
      dirty = Array.prototype.find.call(other.elements, isDirty) || null;
    });
    if (dirty) {
      event.preventDefault();
      event.stopImmediatePropagation();
      window.alert(guard.getAttribute("data-unsaved-guard"));
      dirty.focus();
    }
  }, true);

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

/*
 * Billing pages: the amount of the selection, per currency.
 *
 *   <input type="checkbox" data-select-item="rows" data-amount="1600.00" data-currency="EUR">
 *   <span data-selected-sum="rows">                  shows "1,600.00 EUR" for the checked ones
 *         data-decimal-separator="," data-thousand-separator=".">   ("1.600,00 EUR": the page's
 *                                                    language, from {% number_separators %})
 *
 * Amounts are added as whole minor units (no floating-point drift).
 */
(function () {
  "use strict";

  function minorUnits(text) {
    var match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text || "").trim());
    if (!match) { return null; }
    var fraction = (match[3] || "").padEnd(2, "0").slice(0, 2);
    var units = parseInt(match[2], 10) * 100 + parseInt(fraction, 10);
    return match[1] ? -units : units;
  }

  function format(units, element) {
    var decimal = element.getAttribute("data-decimal-separator") || ".";
    var thousand = element.getAttribute("data-thousand-separator");
    if (thousand === null) { thousand = ","; }
    var sign = units < 0 ? "-" : "";
    var abs = Math.abs(units);
    var whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, thousand);
    var cents = String(abs % 100).padStart(2, "0");
    return sign + whole + decimal + cents;
  }

  function refreshSum(group) {
    var sums = {};
    document.querySelectorAll('input[type="checkbox"][data-select-item="' + group + '"]').forEach(function (box) {
      if (!box.checked) { return; }
      var units = minorUnits(box.getAttribute("data-amount"));
      if (units === null) { return; }
      var currency = box.getAttribute("data-currency") || "";
      sums[currency] = (sums[currency] || 0) + units;
    });
    document.querySelectorAll('[data-selected-sum="' + group + '"]').forEach(function (el) {
      el.textContent = Object.keys(sums).sort().map(function (currency) {
        return format(sums[currency], el) + " " + currency;
      }).join(" · ");
    });
  }

  function refreshAllSums() {
    var groups = {};
    document.querySelectorAll("[data-selected-sum]").forEach(function (el) {
      groups[el.getAttribute("data-selected-sum")] = true;
    });
    Object.keys(groups).forEach(refreshSum);
  }

  // After the selection behaviour above has updated the boxes (select-all included).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches('input[type="checkbox"][data-select-item], input[type="checkbox"][data-select-all]')) {
      refreshSum(target.getAttribute("data-select-item") || target.getAttribute("data-select-all"));
    }
  });
  document.addEventListener("DOMContentLoaded", refreshAllSums);
  document.addEventListener("htmx:afterSettle", refreshAllSums);
})();

/*
 * My week: live totals, tasks of the row's project, another row.
 *
 *   <table data-timesheet data-decimal-separator="," …>   the grid ({% number_separators %})
 *   <input data-day="3">                                  hours of the row's fourth day
 *   <td data-row-total> / <td data-day-total="3"> / <span data-week-total>   sums, shown as typed
 *   <select data-project-select> + <select data-task-select> (options with data-project)
 *   <button data-add-row="template-id">                   appends the <template>'s row
 *
 * Hours are read in the page's language (7,5 in Dutch); a cell that is not a number counts 0
 * here and the server says what is wrong with it on save.
 */
(function () {
  "use strict";

  function hundredths(text, decimal) {
    // As the server reads hours (contracts/numbers.py): spaces allowed, "7,5", ",5" and "5,"
    // in Dutch; the other language's separator is not a number here (the server says why).
    var value = String(text || "").replace(/[\s\u00a0]/g, "");
    if (!value) { return 0; }
    var other = decimal === "," ? "." : ",";
    if (value.indexOf(other) !== -1) { return 0; }
    var parts = value.split(decimal);
    if (parts.length > 2 || !/^\d*$/.test(parts[0]) || !/^\d{0,2}$/.test(parts[1] || "")) {
      return 0;
    }
    return parseInt(parts[0] || "0", 10) * 100 + parseInt((parts[1] || "").padEnd(2, "0"), 10);
  }

  function show(units, decimal) {
    return Math.floor(units / 100) + decimal + String(units % 100).padStart(2, "0");
  }

  function refresh(table) {
    var decimal = table.getAttribute("data-decimal-separator") || ".";
    var days = [0, 0, 0, 0, 0, 0, 0];
    var week = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var sum = 0;
      row.querySelectorAll("[data-day]").forEach(function (cell) {
        var units = cell.tagName === "INPUT"
          ? hundredths(cell.value, decimal)
          : hundredths(cell.getAttribute("data-hours"), ".");
        sum += units;
        days[parseInt(cell.getAttribute("data-day"), 10)] += units;
      });
      week += sum;
      var total = row.querySelector("[data-row-total]");
      if (total) { total.textContent = show(sum, decimal); }
    });
    table.querySelectorAll("[data-day-total]").forEach(function (cell) {
      cell.textContent = show(days[parseInt(cell.getAttribute("data-day-total"), 10)], decimal);
    });
    table.querySelectorAll("[data-week-total]").forEach(function (cell) {
      cell.textContent = show(week, decimal);
    });
  }

  function filterTasks(projectSelect) {
    var row = projectSelect.closest("tr");
    var tasks = row && row.querySelector("[data-task-select]");
    if (!tasks) { return; }
    Array.prototype.forEach.call(tasks.options, function (option) {
      var owner = option.getAttribute("data-project");
      var hidden = Boolean(owner) && owner !== projectSelect.value;
      option.hidden = hidden;
      option.disabled = hidden;
      if (hidden && option.selected) { tasks.value = ""; }
    });
  }

  document.addEventListener("input", function (event) {
    var table = event.target.closest && event.target.closest("[data-timesheet]");
    if (table && event.target.hasAttribute("data-day")) { refresh(table); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-project-select]")) {
      filterTasks(event.target);
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) { return; }
    var template = document.getElementById(button.getAttribute("data-add-row"));
    var total = document.querySelector('input[name$="-TOTAL_FORMS"]');
    var table = document.querySelector("[data-timesheet]");
    if (!template || !total || !table) { return; }
    var index = parseInt(total.value, 10);
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("tr");
    table.querySelector("tbody").appendChild(row);
    total.value = String(index + 1);
    row.querySelectorAll("[data-project-select]").forEach(filterTasks);
    var first = row.querySelector("select, input");
    if (first) { first.focus(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-timesheet]").forEach(refresh);
    document.querySelectorAll("[data-project-select]").forEach(filterTasks);
  });
})();
