// The import wizard's page behaviour (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // "Start from": choosing a preset or a saved mapping reloads the columns with it.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // The mapping table: a column not imported is greyed, and can be hidden.
  var onlyImported = document.querySelector("[data-only-imported]");
  var rows = document.querySelectorAll("[data-mapping-row]");

  function refresh(row) {
    var select = row.querySelector("select");
    var skipped = !select || select.value === "";
    row.classList.toggle("is-skipped", skipped);
    row.hidden = Boolean(onlyImported && onlyImported.checked && skipped);
  }

  rows.forEach(function (row) {
    var select = row.querySelector("select");
    if (select) select.addEventListener("change", function () { refresh(row); });
    refresh(row);
  });
  if (onlyImported) {
    onlyImported.addEventListener("change", function () { rows.forEach(refresh); });
  }
})();
