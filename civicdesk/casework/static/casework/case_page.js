// The case page: once the records panel (swapped in by htmx) shows a privacy release in force,
// the warning at the top of the page goes away without a reload.
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSettle", function () {
    var state = document.querySelector("[data-release-state]");
    var warning = document.querySelector(".release-warning");
    if (warning && state && state.getAttribute("data-release-state") === "in_force") {
      warning.remove();
    }
  });
})();
