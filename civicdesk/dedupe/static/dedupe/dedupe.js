// Duplicates pages: keyboard shortcuts on a pair (m: merge, n: not a duplicate, l: later), and
// the merge form's values following the record kept until the reviewer picks some by hand.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest("input:not([type=radio]):not([type=checkbox]), textarea, select, [contenteditable]")) return;
    var button = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  var form = document.querySelector("[data-merge-form]");
  if (!form) return;
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "survivor") {
      form.querySelectorAll("[data-keep-row]").forEach(function (row) {
        if (row.dataset.touched) return;
        var mine = row.querySelector('input[value="' + input.value + '"]');
        var theirs = row.querySelector('input:not([value="' + input.value + '"])');
        (mine.hasAttribute("data-blank") ? theirs : mine).checked = true;
      });
    } else if (input.name.indexOf("keep_") === 0) {
      input.closest("[data-keep-row]").dataset.touched = "1";
    }
  });
})();
