/* Map tiles for every Leaflet map: the configured tile server (MAP_TILE_URL) and, when tiles do
   not load (offline, a blocked or unreachable tile server), a visible note under the map instead
   of silent grey boxes. The note's text is rendered by base.html (#map-offline-text), so it is
   translated like the rest of the page. Loaded by base.html before any page script. */
(function () {
  "use strict";
  window.Qaita = window.Qaita || {};

  function offlineNote(container) {
    if (container.dataset.tilesFailed) return;
    container.dataset.tilesFailed = "true";
    var source = document.getElementById("map-offline-text");
    var note = document.createElement("p");
    note.className = "map-note";
    note.setAttribute("role", "status");
    note.textContent = source ? source.textContent.trim() : "Map tiles could not be loaded.";
    container.insertAdjacentElement("afterend", note);
  }

  /* Add the tile layer at ``url`` to ``map``; a failed tile shows the note once per map. */
  window.Qaita.tileLayer = function (map, url, attribution) {
    var container = map.getContainer();
    if (!url) { offlineNote(container); return null; }
    var layer = L.tileLayer(url, { maxZoom: 18, attribution: attribution || "" });
    layer.on("tileerror", function () { offlineNote(container); });
    layer.addTo(map);
    return layer;
  };
})();
