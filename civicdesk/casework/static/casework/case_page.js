// The case page: when the records panel (htmx) says a privacy release is now in force, the
// warning at the top of the page goes away without a reload.
(function () {
  "use strict";
  document.body.addEventListener("casework:records-changed", function () {
    window.setTimeout(function () {
      var state = document.querySelector("[data-release-state]");
      var warning = document.querySelector(".release-warning");
      if (warning && state && state.getAttribute("data-release-state") === "in_force") {
        warning.remove();
      }
    }, 0);
  });
})();
