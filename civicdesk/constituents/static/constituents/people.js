// The people list: selecting people for the bulk tag bar. No inline scripts (the CSP forbids
// them); the rows come and go with htmx swaps, so everything is delegated to the document.
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-select-person]"));
  }

  function refresh() {
    var form = document.querySelector("[data-bulk-form]");
    if (!form) return;
    var all = boxes();
    var chosen = all.filter(function (box) { return box.checked; });
    var count = form.querySelector("[data-bulk-count]");
    var template = chosen.length === 1 ? form.dataset.oneSelected : form.dataset.manySelected;
    count.textContent = chosen.length
      ? (template || "{n} selected").replace("{n}", chosen.length)
      : form.dataset.noneSelected || "";
    form.classList.toggle("has-selection", chosen.length > 0);
    form.querySelectorAll("[data-bulk-action]").forEach(function (button) {
      button.disabled = chosen.length === 0;
    });
    var master = document.querySelector("[data-select-all]");
    if (master) {
      master.checked = all.length > 0 && chosen.length === all.length;
      master.indeterminate = chosen.length > 0 && chosen.length < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      boxes().forEach(function (box) { box.checked = event.target.checked; });
      refresh();
    } else if (event.target.matches("[data-select-person]")) {
      refresh();
    }
  });

  // Come back to the list as it is now (filters and order live in the address bar).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-bulk-form]");
    if (!form) return;
    var next = form.querySelector("[data-bulk-next]");
    if (next) next.value = window.location.pathname + window.location.search;
  });

  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();
