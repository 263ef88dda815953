// Case charts (the reports page and the dashboard), drawn with the vendored Chart.js. Each
// <canvas data-chart="ID"> reads its figures from the json_script block with that id (the CSP
// forbids inline scripts): {type, horizontal, labels, datasets: [{label, data}]}. The same
// numbers are in a table beside each chart, so the picture is never the only way to read them.
(function () {
  "use strict";

  var COLOURS = ["#1d3f72", "#e07a1f", "#2e8b57", "#b23a48", "#6f42c1", "#20a4b8", "#8a8f98"];
  var BAR_HEIGHT = 28; // px per bar of a horizontal bar chart, so long lists stay legible

  function readData(id) {
    var holder = document.getElementById(id);
    return holder ? JSON.parse(holder.textContent) : null;
  }

  function config(spec) {
    var isRound = spec.type === "doughnut";
    var datasets = spec.datasets.map(function (set, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: isRound ? spec.labels.map(function (_, j) { return COLOURS[j % COLOURS.length]; }) : colour,
        borderColor: isRound ? "#fff" : colour,
        tension: 0.2,
        fill: false
      };
    });
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var options = {
      responsive: true,
      maintainAspectRatio: !spec.horizontal,
      aspectRatio: isRound ? 1.6 : 2,
      animation: reduceMotion ? false : { duration: 300 },
      plugins: { legend: { display: isRound || datasets.length > 1, position: "bottom" } }
    };
    if (!isRound) {
      var countAxis = { beginAtZero: true, ticks: { precision: 0 } };
      options.indexAxis = spec.horizontal ? "y" : "x";
      options.scales = spec.horizontal ? { x: countAxis } : { y: countAxis };
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw(canvas) {
    if (canvas.dataset.drawn || !window.Chart) return;
    var spec = readData(canvas.dataset.chart);
    if (!spec) return;
    canvas.dataset.drawn = "1";
    if (spec.horizontal && canvas.parentElement) {
      canvas.parentElement.style.height = Math.max(160, spec.labels.length * BAR_HEIGHT + 60) + "px";
    }
    new window.Chart(canvas, config(spec));
  }

  function drawAll(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  // This script loads at the end of <body>: the page is already parsed.
  drawAll(document);
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
