// Letter pages: merge-field buttons, the email form's recipient switch and the print button.
// No inline scripts (the Content-Security-Policy forbids them): everything reads data-*.
(function () {
  "use strict";
  if (window.civicdeskLetters) return;  // the case page may include the panel's copy too
  window.civicdeskLetters = true;

  // The subject or text field the cursor was last in: a merge-field button types there.
  var lastField = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".letter-source")) lastField = event.target;
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-merge-field]");
    if (!button) return;
    var field = lastField || document.querySelector("textarea.letter-source");
    if (!field) return;
    var text = button.dataset.mergeField;
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? start : field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
  });

  // Choosing the recipient fills in their address, unless someone typed another one.
  document.addEventListener("change", function (event) {
    var radio = event.target;
    var form = radio.closest && radio.closest("[data-letters-email]");
    if (!form || radio.name !== "recipient") return;
    var to = form.querySelector("[name=to]");
    var known = [form.dataset.agencyEmail, form.dataset.constituentEmail, ""];
    if (to && known.indexOf(to.value.trim()) !== -1) {
      to.value = radio.value === "agency" ? form.dataset.agencyEmail : form.dataset.constituentEmail;
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
