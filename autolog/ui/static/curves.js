/* XY charts of evaluations (ROC, precision-recall, calibration, residuals) for autolog ui,
 * drawn with uPlot (uPlot.LICENSE). A container <div class="charts" data-curve-source="ID">
 * gets one chart per entry of the JSON list in <script type="application/json" id="ID">:
 * {"key", "title", "x_label", "y_label", "series": [{"label", "x": [...], "y": [...]}],
 *  "diagonal": bool, "bars": bool, "unit_range": bool}. Series with their own x values share
 * one x axis: the points of all series are merged in x order, each series null elsewhere. */
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2",
                "#db2777", "#65a30d", "#ea580c", "#4f46e5", "#0d9488", "#9333ea"];

  function merged(series) {
    var points = [];
    series.forEach(function (s, i) {
      var xs = s.x.slice(), ys = s.y.slice();
      if (xs.length > 1 && xs[0] > xs[xs.length - 1]) { xs.reverse(); ys.reverse(); }
      for (var j = 0; j < xs.length; j++) {
        if (xs[j] !== null) { points.push({x: xs[j], s: i, y: ys[j], o: points.length}); }
      }
    });
    points.sort(function (a, b) { return a.x - b.x || a.o - b.o; });
    var data = [points.map(function (p) { return p.x; })];
    series.forEach(function (s, i) {
      data.push(points.map(function (p) { return p.s === i ? p.y : null; }));
    });
    return data;
  }

  function chart(container, spec) {
    var figure = document.createElement("figure");
    figure.className = "chart curve";
    figure.setAttribute("data-curve", spec.key);
    var caption = document.createElement("figcaption");
    caption.textContent = spec.title;
    figure.appendChild(caption);
    container.appendChild(figure);
    var series = spec.series.slice();
    if (spec.diagonal) { series.push({label: "chance", x: [0, 1], y: [0, 1], reference: true}); }
    var data = merged(series);
    var bars = spec.bars && uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({size: [0.9, 60]})
                                                             : null;
    var opts = {
      width: Math.max(260, Math.min(420, container.clientWidth - 16)),
      height: 260,
      legend: {show: true},
      scales: {x: {time: false, range: spec.unit_range ? [0, 1] : null},
               y: {range: spec.unit_range ? [0, 1.02] : null}},
      axes: [{label: spec.x_label}, {label: spec.y_label, size: 60}],
      series: [{label: spec.x_label}].concat(series.map(function (s, i) {
        return {label: s.label, spanGaps: true, width: s.reference ? 1 : 2,
                stroke: s.reference ? "#9ca3af" : COLORS[i % COLORS.length],
                dash: s.reference ? [4, 4] : undefined,
                fill: bars ? COLORS[i % COLORS.length] + "66" : undefined,
                paths: bars || undefined,
                points: {show: !bars && s.x.length <= 30}};
      }))
    };
    new uPlot(opts, data, figure);
  }

  function render() {
    var containers = document.querySelectorAll("[data-curve-source]");
    for (var i = 0; i < containers.length; i++) {
      var container = containers[i];
      var source = document.getElementById(container.getAttribute("data-curve-source"));
      if (!source) { continue; }
      var specs = JSON.parse(source.textContent);
      for (var j = 0; j < specs.length; j++) { chart(container, specs[j]); }
      container.setAttribute("data-rendered", String(specs.length));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
