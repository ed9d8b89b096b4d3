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
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var series = charts[el.dataset.chart];
    if (!series || typeof echarts === "undefined") return;
    var chart = echarts.init(el);
    chart.setOption({
      color: green,
      tooltip: { trigger: "axis", formatter: axisTooltip },
      legend: { data: [U.units.t, U.units.t_co2e] },
      grid: { left: 60, right: 20, bottom: 80 },
      xAxis: { type: "category", data: series.labels, axisLabel: { rotate: 30, interval: 0, fontSize: 10 } },
      yAxis: { type: "value" },
      series: [
        { name: U.units.t, type: "bar", data: series.mass_t },
        { name: U.units.t_co2e, type: "bar", data: series.net_t }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });

  var links = data("sankey-data") || [];
  var sankeyEl = document.getElementById("sankey");
  if (sankeyEl && links.length && typeof echarts !== "undefined") {
    var names = {};
    links.forEach(function (l) { names[l.source] = l.source_label; names[l.target] = l.target_label; });
    var chart = echarts.init(sankeyEl);
    chart.setOption({
      color: green,
      tooltip: {
        trigger: "item",
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
        data: Object.keys(names).map(function (id) { return { name: id }; }),
        links: links.map(function (l) { return { source: l.source, target: l.target, value: l.value_t }; }),
        label: { formatter: function (p) { return names[p.name] || p.name; }, fontSize: 11 },
        lineStyle: { color: "gradient", curveness: 0.5 }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var mapEl = document.getElementById("flow-map");
  var flows = data("flow-data") || [];
  if (mapEl && typeof L !== "undefined") {
    var map = L.map(mapEl).setView([43.25, 76.95], 10);
    L.tileLayer(mapEl.dataset.tileUrl, { maxZoom: 18, attribution: mapEl.dataset.attribution }).addTo(map);
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
