// The "new case" form: say what the chosen case type implies (sensitive, needs a privacy
// release), and offer only the templates of that type. Data comes from json_script (the CSP
// forbids inline scripts).
(function () {
  "use strict";
  var data = document.getElementById("case-type-flags");
  var select = document.getElementById("id_case_type");
  if (!data || !select) { return; }
  var flags = JSON.parse(data.textContent);
  var templates = document.getElementById("id_template");

  function update() {
    var chosen = flags[select.value] || {};
    document.querySelectorAll("[data-note]").forEach(function (note) {
      note.classList.toggle("d-none", !chosen[note.getAttribute("data-note")]);
    });
    if (!templates) { return; }
    var label = select.options[select.selectedIndex] ? select.options[select.selectedIndex].text : "";
    Array.prototype.forEach.call(templates.options, function (option) {
      var matches = !option.value || option.text.indexOf(label + ": ") === 0;
      option.hidden = !matches;
      option.disabled = !matches;
      if (!matches && option.selected) { templates.value = ""; }
    });
  }
  select.addEventListener("change", update);
  update();
})();
