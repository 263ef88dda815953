// Casework settings: the template's steps editor. Add, remove and move rows; the server reads
// the rows in page order, so nothing needs renumbering. Without JavaScript the page still
// offers blank rows, and clearing a title removes a step. No inline scripts (the CSP).
(function () {
  "use strict";

  var editor = document.querySelector("[data-steps]");
  var blank = document.getElementById("step-row-template");
  if (!editor || !blank) return;
  var body = editor.querySelector("[data-step-rows]");

  function reveal(root) {
    root.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
  }

  function addRow() {
    var fragment = blank.content.cloneNode(true);
    reveal(fragment);
    var row = fragment.querySelector("[data-step-row]");
    body.appendChild(fragment);
    row.querySelector("input[name='step-title']").focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-step], [data-remove-step], [data-move-step]");
    if (!button) return;
    if (button.hasAttribute("data-add-step")) {
      addRow();
      return;
    }
    var row = button.closest("[data-step-row]");
    if (!row) return;
    if (button.hasAttribute("data-remove-step")) {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (!body.querySelector("[data-step-row]")) addRow();
      else if (next) next.querySelector("input[name='step-title']").focus();
      return;
    }
    if (button.dataset.moveStep === "up" && row.previousElementSibling) {
      body.insertBefore(row, row.previousElementSibling);
    } else if (button.dataset.moveStep === "down" && row.nextElementSibling) {
      body.insertBefore(row.nextElementSibling, row);
    }
    button.focus();
  });

  reveal(document);
})();
