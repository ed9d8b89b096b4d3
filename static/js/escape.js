/* Text for Leaflet and ECharts. Both take tooltips, popups and formatter results as HTML, and
   names in this app are typed by users ("><img src=x onerror=…> is a valid organisation
   name). Every text that reaches them goes through Qaita.escapeHtml; nothing else is needed
   (and the CSP is a second line, not the first). Loaded by base.html before any page script. */
(function () {
  "use strict";
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

  function escapeHtml(value) {
    return String(value == null ? "" : value).replace(/[&<>"'`]/g, function (c) { return ENTITIES[c]; });
  }

  window.Qaita = window.Qaita || {};
  window.Qaita.escapeHtml = escapeHtml;
})();
