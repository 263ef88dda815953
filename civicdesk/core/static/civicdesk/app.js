// CivicDesk page behaviour. No inline scripts anywhere (the Content-Security-Policy forbids
// them), so everything a page needs at run time lives here and reads data-* attributes.
(function () {
  "use strict";

  // Progress bars: the server renders data-percent; widths are set here, not in style="".
  function paintProgress(root) {
    root.querySelectorAll("[data-percent]").forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.percent) || 0)) + "%";
    });
  }

  // Buttons that ask before a destructive action: <button data-confirm="Are you sure?">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Copy-to-clipboard buttons: <button data-copy-target="#id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copyTarget);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.value || source.textContent.trim()).then(function () {
        button.textContent = button.dataset.copiedLabel || "Copied";
      });
    }
  });

  // A page that shows a secret once (a new API token) is the answer to a POST. Make its history
  // entry a plain GET, so reloading neither re-sends the form (a second token) nor shows it again.
  // (This script loads at the end of <body>: the page is already parsed.)
  if (document.querySelector("[data-shown-once]")) {
    window.history.replaceState(null, "", window.location.href);
  }

  document.addEventListener("DOMContentLoaded", function () { paintProgress(document); });
  document.addEventListener("htmx:afterSwap", function (event) { paintProgress(event.target); });
  document.addEventListener("htmx:afterSettle", function (event) { paintProgress(event.target); });
})();
