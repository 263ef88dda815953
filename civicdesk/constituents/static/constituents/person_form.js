// The person form: focus a contact row added with "Add another", and grey out rows marked
// for removal. Rows are added by htmx (constituents:contact-row); no inline scripts.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target.matches || !event.target.matches(".contact-rows")) return;
    var rows = event.target.querySelectorAll("[data-contact-row]");
    var row = rows[rows.length - 1];
    var input = row && row.querySelector("input:not([type=hidden]):not([type=radio]):not([type=checkbox])");
    if (input) input.focus();
  });

  function mark(box) {
    var row = box.closest("[data-contact-row]");
    if (row) row.classList.toggle("is-removed", box.checked);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-remove-row]")) mark(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-remove-row]").forEach(mark);
  });
})();
