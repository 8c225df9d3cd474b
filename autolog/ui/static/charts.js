/* Line charts for autolog ui, drawn with uPlot (uPlot.LICENSE).
 * A container <div class="charts" data-chart-source="ID" data-x-label="step"> gets one chart
 * per entry of the JSON list in <script type="application/json" id="ID">: each entry has
 * "key", the x values ("steps" or "versions") and "values" (null where there is none). */
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

  function chart(container, entry, index, xLabel) {
    var figure = document.createElement("figure");
    figure.className = "chart";
    figure.setAttribute("data-metric", entry.key);
    var caption = document.createElement("figcaption");
    caption.textContent = entry.key + (entry.goal ? (entry.goal === "min" ? " (lower is better)" : " (higher is better)") : "");
    figure.appendChild(caption);
    container.appendChild(figure);
    var xs = entry.steps || entry.versions;
    var byVersion = !entry.steps;
    var width = Math.max(260, Math.min(460, container.clientWidth - 16));
    var opts = {
      width: width,
      height: 220,
      legend: {show: true},
      cursor: {drag: {x: true, y: false}},
      scales: {
        x: byVersion ? {time: false, range: function (u, min, max) { return [min - 0.5, max + 0.5]; }}
                     : {time: false}
      },
      axes: [
        {label: xLabel, incrs: byVersion ? [1, 2, 5, 10, 20, 50, 100] : undefined,
         values: byVersion ? function (u, ticks) { return ticks.map(function (t) { return "v" + t; }); } : undefined},
        {size: 60}
      ],
      series: [
        {label: xLabel},
        {label: entry.key, stroke: COLORS[index % COLORS.length], width: 2,
         spanGaps: true, points: {show: byVersion || xs.length <= 60, size: byVersion ? 8 : 4}}
      ]
    };
    new uPlot(opts, [xs, entry.values], figure);
  }

  function render() {
    var containers = document.querySelectorAll("[data-chart-source]");
    for (var i = 0; i < containers.length; i++) {
      var container = containers[i];
      var source = document.getElementById(container.getAttribute("data-chart-source"));
      if (!source) { continue; }
      var entries = JSON.parse(source.textContent);
      var xLabel = container.getAttribute("data-x-label") || "step";
      for (var j = 0; j < entries.length; j++) {
        chart(container, entries[j], j, xLabel);
      }
      container.setAttribute("data-rendered", String(entries.length));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
