/* Leaflet's own words (zoom buttons, the attribution prefix) in the page's language. Loaded right
   after vendor/leaflet/leaflet.js and before any map is made: maps take these defaults. */
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.Qaita || !window.Qaita.l10n) return;
  var words = window.Qaita.l10n.map || {};
  var escapeHtml = window.Qaita.escapeHtml;
  if (words.zoom_in) L.Control.Zoom.prototype.options.zoomInTitle = words.zoom_in;
  if (words.zoom_out) L.Control.Zoom.prototype.options.zoomOutTitle = words.zoom_out;
  if (words.leaflet_title) {
    L.Control.Attribution.prototype.options.prefix =
      '<a href="https://leafletjs.com" title="' + escapeHtml(words.leaflet_title) + '">Leaflet</a>';
  }
})();
