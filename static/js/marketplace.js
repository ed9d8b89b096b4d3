/* Marketplace pages: units that fit the chosen material, photo previews, confirmations,
   the site picker map, the listing's location map and the search map.
   Data comes from <script type="application/json"> blocks (json_script): no inline JS (CSP). */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function hasLeaflet() { return typeof L !== "undefined"; }

  var ALMATY = [43.25, 76.93];
  var AREA_RADIUS_M = 1000; // others' sites are rounded to about a kilometre

  function tiles(map, el, done) {
    function add(url, attribution) {
      window.Qaita.tileLayer(map, url, attribution);
      if (done) done();
    }
    if (el.dataset.tileUrl) return add(el.dataset.tileUrl, el.dataset.attribution);
    if (el.dataset.configUrl && window.fetch) {
      fetch(el.dataset.configUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (c) { add(c.tile_url, c.attribution); })
        .catch(function () { add(null); });
    } else {
      add(null);
    }
  }

  // Leaflet renders tooltips and popups as HTML: every text goes through the shared escaper.
  var escapeHtml = window.Qaita.escapeHtml;

  // --- Confirmations and auto-submitting filters -----------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // --- Units that fit the material ---------------------------------------------------------
  var units = data("material-units");
  function chosenMaterials() {
    var single = document.getElementById("id_material");
    var multi = document.getElementById("id_materials");
    var select = single || multi;
    if (!select) return [];
    return Array.prototype.filter.call(select.options, function (o) { return o.selected && o.value; })
      .map(function (o) { return o.value; });
  }
  function updateUnits() {
    var unit = document.getElementById("id_unit");
    if (!units || !unit) return;
    var keys = chosenMaterials();
    var allowed = null;
    keys.forEach(function (key) {
      var fits = units.materials[key] || [];
      allowed = allowed === null ? fits.slice() : allowed.filter(function (u) { return fits.indexOf(u) >= 0; });
    });
    Array.prototype.forEach.call(unit.options, function (option) {
      option.disabled = allowed !== null && allowed.indexOf(option.value) < 0;
    });
    if (allowed && allowed.length && allowed.indexOf(unit.value) < 0) unit.value = allowed[0];
    var hint = document.getElementById("unit-hint");
    if (hint) {
      hint.textContent = allowed && allowed.length
        ? units.hint.replace("%(units)s", allowed.map(function (u) { return units.labels[u] || u; }).join(", "))
        : "";
    }
  }
  ["id_material", "id_materials"].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) el.addEventListener("change", updateUnits);
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && (target.id === "id_material" || target.id === "id_materials")) updateUnits();
  });
  updateUnits();

  // --- Photo previews (data: URLs: the CSP allows them, not blob:) --------------------------
  document.querySelectorAll("input[type=file][data-photo-preview]").forEach(function (input) {
    var box = document.querySelector('[data-preview-for="' + input.id + '"]');
    if (!box || !window.FileReader) return;
    input.addEventListener("change", function () {
      box.innerHTML = "";
      Array.prototype.forEach.call(input.files || [], function (file) {
        if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return;
        var reader = new FileReader();
        reader.onload = function () {
          var figure = document.createElement("figure");
          var img = document.createElement("img");
          img.src = reader.result;
          img.alt = file.name;
          img.className = "preview";
          var caption = document.createElement("figcaption");
          caption.textContent = file.name + " · " + Math.round(file.size / 1024) + " KB";
          figure.appendChild(img);
          figure.appendChild(caption);
          box.appendChild(figure);
        };
        reader.readAsDataURL(file);
      });
    });
  });

  // --- Site picker: listing forms and the site form -----------------------------------------
  var pickerEl = document.getElementById("site-map");
  if (pickerEl && hasLeaflet()) {
    var latInput = document.getElementById(pickerEl.dataset.latInput);
    var lonInput = document.getElementById(pickerEl.dataset.lonInput);
    var siteSelect = pickerEl.dataset.siteSelect ? document.getElementById(pickerEl.dataset.siteSelect) : null;
    var newFieldset = pickerEl.dataset.newFieldset ? document.getElementById(pickerEl.dataset.newFieldset) : null;
    var sites = data("sites-data") || [];
    var picker = L.map(pickerEl).setView(ALMATY, 10);
    var newSite = (window.Qaita.l10n && window.Qaita.l10n.map.new_site) || "+";
    tiles(picker, pickerEl);
    var bounds = [];
    var siteMarkers = {};
    sites.forEach(function (s) {
      var marker = L.marker([s.lat, s.lon], { title: s.name, alt: s.name, keyboard: true }).addTo(picker);
      marker.bindTooltip(escapeHtml(s.name));
      marker.on("click", function () {
        if (siteSelect) { siteSelect.value = String(s.id); siteSelect.dispatchEvent(new Event("change")); }
      });
      siteMarkers[s.id] = marker;
      bounds.push([s.lat, s.lon]);
    });
    var pin = null;
    function readPoint() {
      var lat = latInput && parseFloat(latInput.value), lon = lonInput && parseFloat(lonInput.value);
      return isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? [lat, lon] : null;
    }
    function placePin(latlng) {
      if (!pin) {
        pin = L.marker(latlng, { draggable: true, title: newSite, alt: newSite, keyboard: true, opacity: 0.85 }).addTo(picker);
        pin.on("dragend", function () { fill(pin.getLatLng()); });
      } else {
        pin.setLatLng(latlng);
      }
    }
    function fill(latlng) {
      if (latInput) latInput.value = latlng.lat.toFixed(6);
      if (lonInput) lonInput.value = latlng.lng.toFixed(6);
    }
    function syncNew() {
      var isNew = !siteSelect || siteSelect.value === "new";
      if (newFieldset) newFieldset.hidden = !isNew;
      if (pin && !isNew) { picker.removeLayer(pin); pin = null; }
      if (isNew) { var p = readPoint(); if (p) placePin(p); }
      if (siteSelect && !isNew && siteMarkers[siteSelect.value]) siteMarkers[siteSelect.value].openTooltip();
    }
    picker.on("click", function (event) {
      fill(event.latlng);
      placePin(event.latlng);
      if (siteSelect && siteSelect.value !== "new") {
        siteSelect.value = "new";
        siteSelect.dispatchEvent(new Event("change"));
      }
    });
    [latInput, lonInput].forEach(function (input) {
      if (input) input.addEventListener("change", function () { var p = readPoint(); if (p) { placePin(p); picker.panTo(p); } });
    });
    if (siteSelect) siteSelect.addEventListener("change", syncNew);
    syncNew();
    var start = readPoint();
    if (start) bounds.push(start);
    if (bounds.length > 1) picker.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
    else if (bounds.length === 1) picker.setView(bounds[0], 13);
  }

  // --- One listing's location ----------------------------------------------------------------
  var locationEl = document.getElementById("listing-map");
  var where = data("listing-location");
  if (locationEl && where && hasLeaflet()) {
    var lmap = L.map(locationEl).setView([where.lat, where.lon], where.exact ? 14 : 13);
    tiles(lmap, locationEl);
    if (where.exact) {
      L.marker([where.lat, where.lon], { title: where.label, alt: where.label }).addTo(lmap)
        .bindTooltip(escapeHtml(where.label));
    } else {
      L.circle([where.lat, where.lon], { radius: AREA_RADIUS_M, color: "#a05a00", fillOpacity: 0.15,
        className: "site-area" }).addTo(lmap).bindTooltip(escapeHtml(where.label));
    }
  }

  // --- Search results -----------------------------------------------------------------------
  var searchEl = document.getElementById("search-map");
  var search = data("search-data");
  if (searchEl && search && hasLeaflet()) {
    var smap = L.map(searchEl).setView(ALMATY, 10);
    tiles(smap, searchEl);
    var group = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 }) : L.layerGroup();
    var points = [];
    (search.points || []).forEach(function (p) {
      var popup = '<a href="' + escapeHtml(p.url) + '"><strong>' + escapeHtml(p.title) + "</strong></a><br>" +
        escapeHtml(p.quantity) + "<br>" + escapeHtml(p.organisation);
      var layer = p.exact
        ? L.marker([p.lat, p.lon], { title: p.title, alt: p.title })
        : L.circle([p.lat, p.lon], { radius: AREA_RADIUS_M, color: p.kind === "offer" ? "#a05a00" : "#1f7a4d",
            weight: 2, fillOpacity: 0.2, className: "site-area" });
      layer.bindPopup(popup);
      group.addLayer(layer);
      points.push([p.lat, p.lon]);
    });
    group.addTo(smap);
    var origin = search.origin;
    if (origin) {
      L.circle([origin.lat, origin.lon], { radius: (origin.reach_km || origin.radius_km) * 1000, color: "#1f7a4d", weight: 1,
        fill: false, dashArray: "6 6", interactive: false, className: "search-radius" }).addTo(smap);
      L.circleMarker([origin.lat, origin.lon], { radius: 7, color: "#145536", fillColor: "#f0b400", fillOpacity: 1,
        className: "search-origin" }).addTo(smap).bindTooltip(escapeHtml(origin.name));
      points.push([origin.lat, origin.lon]);
    }
    if (points.length > 1) smap.fitBounds(points, { padding: [30, 30], maxZoom: 13 });
    else if (points.length === 1) smap.setView(points[0], 12);
    searchEl.dataset.points = String((search.points || []).length);
  }
})();
