/* City dashboard: ECharts bar charts and the Sankey, a Leaflet map of matched flows.
   Data comes from <script type="application/json"> blocks (json_script), so no inline JS. */
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  // ECharts and Leaflet render tooltips as HTML: every text goes through the shared escaper.
  var escapeHtml = window.Qaita.escapeHtml;
  // Legends, units and numbers in the page's language (static/js/l10n.js).
  var U = window.Qaita.l10n;
  function axisTooltip(params) {
    var rows = [escapeHtml(params.length ? params[0].axisValueLabel : "")];
    params.forEach(function (p) {
      rows.push(p.marker + escapeHtml(p.seriesName) + ": " + escapeHtml(U.num(p.value)));
    });
    return rows.join("<br>");
  }
  var green = ["#1f7a4d", "#4f9d6f", "#86bf95", "#c3e0c9", "#f0b400", "#a05a00"];
  var charts = data("chart-data") || {};
  var ROW_PX = 34; // one bar pair per row of a horizontal chart

  /* Draw ``build(width)`` into ``el`` and redraw whenever the box changes size (window resize, a
     phone turned sideways, the grid folding to one column): label widths follow the box. */
  function responsive(el, build) {
    var chart = echarts.init(el);
    var width = 0;
    function draw() {
      var w = el.clientWidth;
      if (w === width) return chart.resize();
      width = w;
      chart.setOption(build(w), true);
      chart.resize();
    }
    draw();
    if (typeof ResizeObserver === "function") new ResizeObserver(draw).observe(el);
    window.addEventListener("resize", draw);
    el.dataset.drawn = "true";
    return chart;
  }

  function truncate(text, max) {
    text = String(text);
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var series = charts[el.dataset.chart];
    if (!series || typeof echarts === "undefined") return;
    // Categories (materials, sectors) read as horizontal bars, one row each, names in full on the
    // left; months stay a vertical column chart in time order.
    var horizontal = el.dataset.chart !== "month";
    if (horizontal) {
      el.style.height = Math.max(220, series.labels.length * ROW_PX + 70) + "px";
      el.dataset.orientation = "horizontal";
    }
    responsive(el, function (width) {
      var labelWidth = Math.max(90, Math.min(220, Math.round(width * 0.38)));
      var category = {
        type: "category", data: series.labels,
        axisLabel: horizontal
          ? { width: labelWidth, overflow: "truncate", fontSize: 11, interval: 0 }
          : { fontSize: 10, hideOverlap: true }
      };
      if (horizontal) category.inverse = true; // the largest first, at the top
      var value = { type: "value", axisLabel: { fontSize: 10, hideOverlap: true } };
      return {
        color: green,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: axisTooltip, confine: true },
        legend: { top: 0, data: [U.units.t, U.units.t_co2e] },
        grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
        xAxis: horizontal ? value : category,
        yAxis: horizontal ? category : value,
        series: [
          { name: U.units.t, type: "bar", data: series.mass_t },
          { name: U.units.t_co2e, type: "bar", data: series.net_t }
        ]
      };
    });
  });

  var links = data("sankey-data") || [];
  var sankeyEl = document.getElementById("sankey");
  if (sankeyEl && links.length && typeof echarts !== "undefined") {
    var names = {};
    var hasOutgoing = {};
    links.forEach(function (l) {
      names[l.source] = l.source_label; names[l.target] = l.target_label; hasOutgoing[l.source] = true;
    });
    var ids = Object.keys(names);
    // Three columns (supplying sector, material, receiving sector): the box grows with the
    // busiest column so labels do not pile up.
    var perColumn = {};
    ids.forEach(function (id) { var c = id.split(":")[0]; perColumn[c] = (perColumn[c] || 0) + 1; });
    var busiest = Math.max.apply(null, Object.keys(perColumn).map(function (c) { return perColumn[c]; }));
    sankeyEl.style.height = Math.max(320, busiest * 34 + 40) + "px";
    responsive(sankeyEl, function (width) {
      // A label takes at most a fifth of the width (two labels share the gap between columns); the last column's labels sit left of
      // their nodes, inside the box, instead of running off its right edge.
      var chars = Math.max(9, Math.floor(width / 5 / 6.5));
      return {
        color: green,
        tooltip: {
          trigger: "item", confine: true,
          formatter: function (p) {
            var d = p.data || {};
            var text = p.dataType === "edge"
              ? (names[d.source] || d.source) + " → " + (names[d.target] || d.target) + ": " +
                U.qty(d.value, "t")
              : (names[p.name] || p.name);
            return escapeHtml(text);
          }
        },
        series: [{
          type: "sankey", emphasis: { focus: "adjacency" }, nodeAlign: "justify",
          left: 8, right: 8, top: 8, bottom: 8, nodeWidth: 14, nodeGap: 10,
          data: ids.map(function (id) {
            var node = { name: id };
            if (!hasOutgoing[id]) node.label = { position: "left" };
            return node;
          }),
          links: links.map(function (l) { return { source: l.source, target: l.target, value: l.value_t }; }),
          label: {
            formatter: function (p) { return truncate(names[p.name] || p.name, chars); },
            fontSize: 11, color: "#1d2a24"
          },
          lineStyle: { color: "gradient", curveness: 0.5 }
        }]
      };
    });
  }

  var mapEl = document.getElementById("flow-map");
  var flows = data("flow-data") || [];
  if (mapEl && typeof L !== "undefined") {
    var map = L.map(mapEl).setView([43.25, 76.95], 10);
    window.Qaita.tileLayer(map, mapEl.dataset.tileUrl, mapEl.dataset.attribution);
    var bounds = [];
    var max = flows.reduce(function (m, f) { return Math.max(m, f.mass_t); }, 1);
    flows.forEach(function (f) {
      var weight = 2 + 8 * Math.sqrt(f.mass_t / max);
      L.polyline([f.from, f.to], { color: "#1f7a4d", weight: weight, opacity: 0.6, className: "flow-line" })
        .bindTooltip(escapeHtml(f.material + ": " + U.qty(f.mass_t, "t") + ", " + f.supplier + " → " +
          f.receiver + " (" + U.qty(f.km, "km", 0) + ")"))
        .addTo(map);
      L.circleMarker(f.from, { radius: 5, color: "#a05a00", className: "flow-source" }).addTo(map);
      L.circleMarker(f.to, { radius: 5, color: "#1f7a4d", className: "flow-target" }).addTo(map);
      bounds.push(f.from, f.to);
    });
    if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
  }
})();
