// The districts of one layer on a Leaflet map, read from the layer's GeoJSON URL
// (data-geojson-url). No inline script: the Content-Security-Policy forbids it.
// District names come from uploaded files, so they are set as text, never as HTML.
(function () {
  "use strict";

  var COLOURS = ["#1d3f72", "#b5482b", "#2b7a4b", "#7a3f9d", "#a07000", "#1f7a8c", "#9d3f5f", "#4f5d2f"];

  function label(text) {
    var element = document.createElement("span");
    element.textContent = text;
    return element;
  }

  function rowOf(id) {
    return document.querySelector('#district-table tr[data-district-id="' + id + '"]');
  }

  function draw(element, collection) {
    var map = L.map(element, { zoomSnap: 0.25, attributionControl: false });
    var colours = {};
    collection.features.forEach(function (feature, at) {
      colours[feature.id] = COLOURS[at % COLOURS.length];
    });
    var layer = L.geoJSON(collection, {
      style: function (feature) {
        var colour = colours[feature.id];
        return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.18 };
      },
      onEachFeature: function (feature, shape) {
        var props = feature.properties || {};
        shape.bindTooltip(label(props.name + (props.people ? " · " + props.people : "")), { sticky: true });
        shape.on("mouseover", function () {
          shape.setStyle({ weight: 4, fillOpacity: 0.35 });
          var row = rowOf(props.id);
          if (row) row.classList.add("is-highlighted");
        });
        shape.on("mouseout", function () {
          layer.resetStyle(shape);
          var row = rowOf(props.id);
          if (row) row.classList.remove("is-highlighted");
        });
      }
    }).addTo(map);
    if (layer.getLayers().length) {
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    } else {
      map.setView([0, 0], 1);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("district-map");
    if (!element || !window.L) return;
    fetch(element.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (collection) { draw(element, collection); })
      .catch(function () {
        element.textContent = element.dataset.errorText || "The map could not be loaded.";
      });
  });
})();
