// The person page: a small map per located address (Leaflet, vendored), with its districts'
// outlines drawn around the pin; "Correct the pin" lets an editor drag it (or move it with the
// arrow keys) and save the new position through the form beside the map (htmx). The pin comes
// from a json_script block (the CSP forbids inline scripts); the outlines are fetched after
// the page from the URLs listed there (simplified shapes the browser may keep), so the page
// never carries a ward's polygon. An address never located gets "Place on the map" instead.
(function () {
  "use strict";

  var STEP = 0.00005; // about 5 m: one arrow-key press while correcting a pin
  var OUTLINE_STYLE = { color: "#1d3f72", weight: 2, fillColor: "#1d3f72", fillOpacity: 0.08 };

  function readData(id) {
    var holder = document.getElementById(id);
    return holder ? JSON.parse(holder.textContent) : null;
  }

  function drawMap(element) {
    if (element.dataset.ready || !window.L) return;
    var data = readData(element.dataset.personMap);
    if (!data) return;
    element.dataset.ready = "1";
    var position = [data.latitude, data.longitude];
    var map = L.map(element, { scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25 });
    map.setView(position, 16);
    var marker = L.marker(position, { keyboard: true, title: data.label, alt: data.label }).addTo(map);
    // Once someone moves the map or the pin, the outlines arriving later leave the view alone.
    ["pointerdown", "wheel", "keydown"].forEach(function (name) {
      element.addEventListener(name, function () { element.dataset.touched = "1"; });
    });
    drawOutlines(element, map, data.outlines || [], position);
    var card = element.closest(".address-card");
    if (card) wirePinForm(card, map, marker, position);
  }

  function fetchOutline(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; }); // no outline: the pin alone still says where
  }

  function drawOutlines(element, map, urls, position) {
    if (!urls.length) return;
    Promise.all(urls.map(fetchOutline)).then(function (features) {
      var bounds = L.latLngBounds([position, position]);
      features.forEach(function (feature) {
        if (!feature) return;
        var shape = L.geoJSON(feature, { style: OUTLINE_STYLE, interactive: false }).addTo(map);
        bounds.extend(shape.getBounds());
      });
      element.dataset.outlines = "drawn";
      // No animation: a pin being grabbed must not slide away under the pointer.
      if (!element.dataset.touched) map.fitBounds(bounds, { padding: [12, 12], maxZoom: 16, animate: false });
    });
  }

  function wirePinForm(card, map, marker, original) {
    var form = card.querySelector("[data-pin-form]");
    if (!form) return;
    var edit = form.querySelector("[data-pin-edit]");
    var editing = form.querySelector("[data-pin-editing]");
    var save = form.querySelector("[data-pin-save]");
    var latitude = form.querySelector("[data-pin-latitude]");
    var longitude = form.querySelector("[data-pin-longitude]");

    function moved() {
      var at = marker.getLatLng();
      latitude.value = at.lat.toFixed(7);
      longitude.value = at.lng.toFixed(7);
      save.disabled = false;
    }
    function stop() {
      marker.dragging.disable();
      marker.setLatLng(original);
      map.panTo(original);
      latitude.value = original[0].toFixed(7);
      longitude.value = original[1].toFixed(7);
      save.disabled = true;
      editing.hidden = true;
      edit.hidden = false;
      card.classList.remove("is-correcting");
      edit.focus();
    }

    edit.addEventListener("click", function () {
      map.getContainer().dataset.touched = "1";
      marker.dragging.enable();
      editing.hidden = false;
      edit.hidden = true;
      card.classList.add("is-correcting");
      var icon = marker.getElement();
      if (icon) icon.focus();
    });
    form.querySelector("[data-pin-cancel]").addEventListener("click", stop);
    marker.on("dragend", moved);

    // Keyboard users move the pin with the arrow keys once it has the focus.
    var icon = marker.getElement();
    if (icon) {
      icon.addEventListener("keydown", function (event) {
        if (!card.classList.contains("is-correcting")) return;
        var at = marker.getLatLng();
        var moves = { ArrowUp: [STEP, 0], ArrowDown: [-STEP, 0], ArrowLeft: [0, -STEP], ArrowRight: [0, STEP] };
        var step = moves[event.key];
        if (!step) return;
        event.preventDefault();
        marker.setLatLng([at.lat + step[0], at.lng + step[1]]);
        moved();
      });
    }
  }

  // "Place on the map", for an address never located: the map opens on the office's area; a
  // click drops the pin (keyboard: the pin starts in the middle, the arrow keys move it by a
  // fiftieth of the view, so zooming in with + makes the steps finer).
  function wirePlaceForm(form) {
    if (form.dataset.ready || !window.L) return;
    var data = readData(form.dataset.placeForm);
    if (!data) return;
    form.dataset.ready = "1";
    var start = form.querySelector("[data-place-start]");
    var editing = form.querySelector("[data-place-editing]");
    var save = form.querySelector("[data-pin-save]");
    var latitude = form.querySelector("[data-pin-latitude]");
    var longitude = form.querySelector("[data-pin-longitude]");
    var card = form.closest(".address-card");
    var map = null;
    var marker = null;

    function placed() {
      var at = marker.getLatLng();
      latitude.value = at.lat.toFixed(7);
      longitude.value = at.lng.toFixed(7);
      save.disabled = false;
    }
    function put(at) {
      if (marker) {
        marker.setLatLng(at);
      } else {
        marker = L.marker(at, { keyboard: true, draggable: true, title: data.label, alt: data.label }).addTo(map);
        marker.on("dragend", placed);
        marker.getElement().addEventListener("keydown", moveByKey);
      }
    }
    function moveByKey(event) {
      var view = map.getBounds();
      var lat = (view.getNorth() - view.getSouth()) / 50;
      var lng = (view.getEast() - view.getWest()) / 50;
      var moves = { ArrowUp: [lat, 0], ArrowDown: [-lat, 0], ArrowLeft: [0, -lng], ArrowRight: [0, lng] };
      var step = moves[event.key];
      if (!step) return;
      event.preventDefault();
      var at = marker.getLatLng();
      marker.setLatLng([at.lat + step[0], at.lng + step[1]]);
      placed();
    }

    start.addEventListener("click", function () {
      editing.hidden = false;
      start.hidden = true;
      if (card) card.classList.add("is-correcting");
      if (!map) {
        var element = form.querySelector("[data-place-map]");
        map = L.map(element, { scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25 });
        map.on("click", function (event) { put(event.latlng); placed(); });
        (data.outlines || []).forEach(function (url) {
          fetchOutline(url).then(function (collection) {
            if (collection) L.geoJSON(collection, { style: OUTLINE_STYLE, interactive: false }).addTo(map);
          });
        });
      }
      map.invalidateSize();
      map.fitBounds(data.bounds, { padding: [12, 12], animate: false });
      put(map.getCenter());
      marker.getElement().focus();
    });
    form.querySelector("[data-pin-cancel]").addEventListener("click", function () {
      editing.hidden = true;
      start.hidden = false;
      latitude.value = "";
      longitude.value = "";
      save.disabled = true;
      if (marker) { marker.remove(); marker = null; }
      if (card) card.classList.remove("is-correcting");
      start.focus();
    });
  }

  function drawAll(root) {
    if (root.matches && root.matches("[data-person-map]")) drawMap(root);
    root.querySelectorAll("[data-person-map]").forEach(drawMap);
    if (root.matches && root.matches("[data-place-form]")) wirePlaceForm(root);
    root.querySelectorAll("[data-place-form]").forEach(wirePlaceForm);
  }

  if (window.htmx) {
    htmx.onLoad(function (element) { drawAll(element.querySelectorAll ? element : document); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  }

  // A new timeline entry (logged with htmx) is highlighted for a moment.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "timeline-entries") return;
    var entry = event.target.querySelector(".timeline-entry");
    if (entry) entry.classList.add("is-new");
  });
})();
