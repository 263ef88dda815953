// The type-ahead tag picker (tags/_picker.html). One set of listeners on the document serves
// every picker on the page, including pickers that htmx swaps in later; the page loads this
// file once even when several pickers include it. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  if (window.civicdeskTagPicker) return;
  window.civicdeskTagPicker = true;

  function pickerOf(el) { return el.closest("[data-tag-picker]"); }
  function inputOf(picker) { return picker.querySelector("[data-tag-picker-input]"); }
  function listboxOf(picker) { return picker.querySelector("[data-tag-listbox]"); }
  function optionsOf(picker) {
    return Array.prototype.slice.call(
      listboxOf(picker).querySelectorAll("[data-tag-option]:not([aria-disabled='true'])"));
  }
  function message(picker, key, label) {
    return (picker.dataset[key] || "").replace("{label}", label);
  }
  function announce(picker, text) {
    var status = picker.querySelector("[data-tag-status]");
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function open(picker) {
    var listbox = listboxOf(picker);
    listbox.hidden = listbox.children.length === 0;
    inputOf(picker).setAttribute("aria-expanded", String(!listbox.hidden));
    setActive(picker, null);
  }
  function close(picker) {
    listboxOf(picker).hidden = true;
    var input = inputOf(picker);
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function isOpen(picker) { return !listboxOf(picker).hidden; }

  function activeOption(picker) {
    var id = inputOf(picker).getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }
  function setActive(picker, option) {
    optionsOf(picker).forEach(function (o) {
      var on = o === option;
      o.classList.toggle("active", on);
      o.setAttribute("aria-selected", String(on));
    });
    var input = inputOf(picker);
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function move(picker, step) {
    var options = optionsOf(picker);
    if (!options.length) return;
    var index = options.indexOf(activeOption(picker));
    index = index < 0 ? (step > 0 ? 0 : options.length - 1)
                      : (index + step + options.length) % options.length;
    setActive(picker, options[index]);
  }

  function chosenIds(picker) {
    return Array.prototype.map.call(
      picker.querySelectorAll("[data-tag-chips] [data-tag-chip]"),
      function (chip) { return chip.dataset.tagId; });
  }
  function changed(picker) {
    picker.dispatchEvent(new CustomEvent("tags:changed", { bubbles: true, detail: { ids: chosenIds(picker) } }));
  }
  function addChip(picker, id, label) {
    if (chosenIds(picker).indexOf(String(id)) >= 0) return;
    var template = picker.querySelector("[data-tag-chip-template]");
    var chip = template.content.firstElementChild.cloneNode(true);
    chip.dataset.tagId = id;
    chip.querySelector("[data-tag-chip-label]").textContent = label;
    chip.querySelector("input[type=hidden]").value = id;
    chip.querySelector("[data-tag-remove]").setAttribute("aria-label", message(picker, "msgRemove", label));
    picker.querySelector("[data-tag-chips]").appendChild(chip);
  }
  function finish(picker, label) {
    var input = inputOf(picker);
    input.value = "";
    close(picker);
    listboxOf(picker).innerHTML = "";
    input.focus();
    announce(picker, message(picker, "msgAdded", label));
    changed(picker);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
    } catch (e) {
      return "";
    }
  }
  function create(picker, name) {
    var body = new URLSearchParams({ name: name, field: picker.dataset.field });
    fetch(picker.dataset.createUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      body: body
    }).then(function (response) {
      return response.text().then(function (text) { return { ok: response.ok, text: text }; });
    }).then(function (result) {
      if (!result.ok) {
        announce(picker, result.text || picker.dataset.msgFailed);
        return;
      }
      var holder = document.createElement("ul");
      holder.innerHTML = result.text;
      var chip = holder.querySelector("[data-tag-chip]");
      if (!chip) return;
      var label = chip.querySelector("[data-tag-chip-label]").textContent;
      if (chosenIds(picker).indexOf(chip.dataset.tagId) < 0) {
        picker.querySelector("[data-tag-chips]").appendChild(chip);
      }
      finish(picker, label);
    }).catch(function () { announce(picker, picker.dataset.msgFailed); });
  }
  function choose(picker, option) {
    if (!option || option.getAttribute("aria-disabled") === "true") return;
    if (option.dataset.tagCreate !== undefined) {
      if (picker.dataset.createUrl) create(picker, option.dataset.tagCreate);
      return;
    }
    addChip(picker, option.dataset.tagId, option.dataset.tagLabel);
    finish(picker, option.dataset.tagLabel);
  }
  function removeChip(picker, chip) {
    var label = chip.querySelector("[data-tag-chip-label]").textContent;
    chip.remove();
    inputOf(picker).focus();
    announce(picker, message(picker, "msgRemoved", label));
    changed(picker);
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target.closest && event.target.closest("[data-tag-picker-input]");
    if (!input) return;
    var picker = pickerOf(input);
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (isOpen(picker)) move(picker, 1); else htmx.trigger(input, "tags:open");
        break;
      case "ArrowUp":
        if (isOpen(picker)) { event.preventDefault(); move(picker, -1); }
        break;
      case "Enter":
        event.preventDefault(); // never submit the surrounding form from the search box
        if (isOpen(picker)) choose(picker, activeOption(picker) || optionsOf(picker)[0]);
        break;
      case "Escape":
        if (isOpen(picker)) { event.preventDefault(); close(picker); }
        break;
      case "Backspace":
        if (!input.value) {
          var chips = picker.querySelectorAll("[data-tag-chips] [data-tag-chip]");
          if (chips.length) removeChip(picker, chips[chips.length - 1]);
        }
        break;
    }
  });

  // Keep the focus in the text box while an option is clicked.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest("[data-tag-listbox] [data-tag-option]")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-tag-listbox] [data-tag-option]");
    if (option) { choose(pickerOf(option), option); return; }
    var remove = event.target.closest("[data-tag-picker] [data-tag-remove]");
    if (remove) { event.preventDefault(); removeChip(pickerOf(remove), remove.closest("[data-tag-chip]")); }
  });

  document.addEventListener("focusout", function (event) {
    var picker = event.target.closest && event.target.closest("[data-tag-picker]");
    if (!picker) return;
    window.setTimeout(function () {
      if (!picker.contains(document.activeElement)) close(picker);
    }, 0);
  });

  // Suggestions arrived (the input's hx-get swapped them into its listbox).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = (event.detail && event.detail.target) || event.target;
    if (target && target.matches && target.matches("[data-tag-listbox]")) {
      var picker = pickerOf(target);
      if (inputOf(picker) === document.activeElement) open(picker);
    }
  });
})();
