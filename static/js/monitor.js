/* The city monitor's charts: each target's cumulative progress against the straight line, and
   the public monthly trend. Data comes from json_script blocks, so no inline script (CSP). */
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  if (typeof echarts === "undefined") return;
  // Units and numbers in the page's language (static/js/l10n.js).
  var U = window.Qaita.l10n;
  function num(v) { return U.num(Array.isArray(v) ? v[1] : v); }

  // Redraw when the box changes size (window resize, a phone turned, the grid folding).
  function follow(el, chart) {
    var redraw = function () { chart.resize(); };
    if (typeof ResizeObserver === "function") new ResizeObserver(redraw).observe(el);
    window.addEventListener("resize", redraw);
  }

  var targets = data("target-chart-data") || [];
  document.querySelectorAll("[data-target-chart]").forEach(function (el) {
    var t = targets[Number(el.dataset.targetChart)];
    if (!t) return;
    var chart = echarts.init(el);
    chart.setOption({
      color: ["#1f7a4d", "#a05a00"],
      tooltip: { trigger: "axis", valueFormatter: num },
      legend: { top: 0, data: [t.labels.cumulative, t.labels.line] },
      grid: { left: 70, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "time", min: t.year + "-01-01", max: t.year + "-12-31" },
      yAxis: { type: "value", name: t.unit },
      series: [
        { name: t.labels.cumulative, type: "line", step: false, showSymbol: true, data: t.cumulative, lineStyle: { width: 3 } },
        { name: t.labels.line, type: "line", showSymbol: false, data: t.line, lineStyle: { type: "dashed" } }
      ]
    });
    el.dataset.drawn = "true";
    follow(el, chart);
  });

  var trendEl = document.getElementById("public-trend");
  var trend = data("public-trend-data") || [];
  var labels = data("monitor-labels") || { waste: U.units.t, net: U.units.t_co2e };
  if (trendEl && trend.length) {
    var chart = echarts.init(trendEl);
    chart.setOption({
      color: ["#1f7a4d", "#f0b400"],
      tooltip: { trigger: "axis", valueFormatter: num },
      legend: { top: 0, data: [labels.waste, labels.net] },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: trend.map(function (p) { return p.month; }) },
      yAxis: { type: "value" },
      series: [
        { name: labels.waste, type: "bar", data: trend.map(function (p) { return p.waste_t; }) },
        { name: labels.net, type: "bar", data: trend.map(function (p) { return p.net_t; }) }
      ]
    });
    trendEl.dataset.drawn = "true";
    follow(trendEl, chart);
  }
})();
