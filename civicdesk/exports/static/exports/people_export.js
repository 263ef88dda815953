// The people list's Export menu. The filters change without a page load (htmx), so when a
// format is chosen the export's address takes the filters the list shows at that moment.
// Without JavaScript the address keeps the filters of the page as it was loaded.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-people-export")) return;
    var filters = document.getElementById(form.dataset.filterForm);
    if (!filters) return;
    var query = new URLSearchParams(new FormData(filters));
    query.delete("after");
    var base = form.getAttribute("action").split("?")[0];
    var text = query.toString();
    form.setAttribute("action", text ? base + "?" + text : base);
  });
})();
