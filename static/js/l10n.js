/* The page's language for scripts: map controls, chart legends, tooltips and numbers. The words
   come translated from the server (json_script "qaita-l10n", see config.context_processors.l10n),
   never as English literals in JS. Loaded by base.html after escape.js, before page scripts;
   Leaflet pages also load leaflet-l10n.js right after leaflet.js. */
(function () {
  "use strict";
  var el = document.getElementById("qaita-l10n");
  var l10n = el ? JSON.parse(el.textContent) : {};
  l10n.units = l10n.units || { t: "t", kg: "kg", km: "km", t_co2e: "t CO₂e", piece: "pcs" };
  l10n.map = l10n.map || {};
  var locale = l10n.locale || document.documentElement.lang || "en";

  // A number as the page's language writes it (decimal comma in ru/kk), at most `digits` decimals.
  l10n.num = function (value, digits) {
    var n = Number(value);
    if (!isFinite(n)) return String(value == null ? "" : value);
    try {
      return n.toLocaleString(locale, { maximumFractionDigits: digits == null ? 1 : digits });
    } catch (e) {
      return n.toLocaleString("en", { maximumFractionDigits: digits == null ? 1 : digits });
    }
  };
  // A number with its unit word: qty(12.5, "t") → "12,5 т" on a Russian page.
  l10n.qty = function (value, unit, digits) {
    return l10n.num(value, digits) + " " + (l10n.units[unit] || unit);
  };

  window.Qaita = window.Qaita || {};
  window.Qaita.l10n = l10n;
})();
