/* Grid maps (Leaflet from xstatic-leaflet): the tree page's map of all visible grids with a
   point lookup, and the single-grid map of a grid's page. No tiles unless configured. */
(function () {
  "use strict";
  var el = document.getElementById("grid-map");
  if (!el || typeof L === "undefined") { return; }
  var holder = document.getElementById("map-i18n");
  var T = holder ? holder.dataset : {};
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
  var tileUrl = el.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var palette = ["#d7ece3", "#dde7f6", "#f6e9d6", "#ecdff2", "#f3dede", "#e2f0d9", "#def1f3", "#f5f0d5"];
  function style(f) {
    var p = f.properties || {};
    if (p.level <= 2) { return { color: "#084f39", weight: 3, fill: false }; }
    if (p.level === 3) { return { color: "#0b6e4f", weight: 2, fillOpacity: 0.0, fill: false }; }
    var h = 0; var s = p.parent || p.code || "";
    for (var i = 0; i < s.length; i++) { h = (h * 31 + s.charCodeAt(i)) % 997; }
    return { color: "#5f7d95", weight: 1, fillColor: palette[h % palette.length], fillOpacity: 0.75 };
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  if (el.dataset.feature) {  // a single grid's page
    var layer = L.geoJSON(JSON.parse(el.dataset.feature), { style: function () {
      return { color: "#0b6e4f", weight: 2, fillColor: "#d7ece3", fillOpacity: 0.6 }; } }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    return;
  }

  var byId = {};
  var selected = null;
  var marker = null;
  fetch(el.dataset.geojsonUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      // Communities first, then sub-districts and the district on top as outlines.
      fc.features.sort(function (a, b) { return b.properties.level - a.properties.level; });
      var all = L.geoJSON(fc, {
        style: style,
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          byId[p.id] = lyr;
          lyr.bindPopup("<strong>" + escapeHtml(p.name) + "</strong><br>" + escapeHtml(p.code) +
            "<br>" + escapeHtml(p.owner_name || "") + "<br><a href=\"" + p.url + "\">" + escapeHtml(T.open || "查看网格") + "</a>");
          if (p.level === 3) {
            lyr.bindTooltip(escapeHtml(p.name), { permanent: true, direction: "center", className: "grid-label l3" });
          }
        }
      }).addTo(map);
      // Outlines of higher levels must stay clickable-through: bring fills to the back.
      Object.keys(byId).forEach(function (k) {
        var lyr = byId[k];
        if (lyr.feature.properties.level >= 4) { lyr.bringToBack(); }
      });
      if (fc.features.length) { map.fitBounds(all.getBounds(), { padding: [10, 10] }); }
      else { map.setView([40.69, 122.25], 12); }
      el.dataset.loaded = String(fc.features.length);
    });

  document.querySelectorAll("a.tree-link").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var lyr = byId[a.dataset.grid];
      if (!lyr || ev.ctrlKey || ev.metaKey) { return; }
      ev.preventDefault();
      if (selected) { selected.setStyle(style(selected.feature)); }
      document.querySelectorAll("a.tree-link.selected").forEach(function (x) { x.classList.remove("selected"); });
      a.classList.add("selected");
      lyr.setStyle({ color: "#b42318", weight: 3 });
      lyr.bringToFront();
      selected = lyr;
      map.fitBounds(lyr.getBounds(), { padding: [30, 30] });
      lyr.openPopup();
    });
  });

  var filter = document.getElementById("tree-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim();
      document.querySelectorAll("ul.grid-tree li").forEach(function (li) {
        li.hidden = false;
      });
      if (!q) { return; }
      document.querySelectorAll("ul.grid-tree li").forEach(function (li) {
        var text = li.textContent || "";
        li.hidden = text.indexOf(q) === -1;
      });
    });
  }

  var form = document.getElementById("resolve-form");
  var out = document.getElementById("resolve-out");
  function lookup(lon, lat, crs) {
    var url = "/api/grids/resolve/?lon=" + encodeURIComponent(lon) + "&lat=" + encodeURIComponent(lat) +
      "&crs=" + encodeURIComponent(crs);
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) { out.textContent = (T.error || "查询失败") + "：" + (res.body.message || ""); return; }
      var b = res.body;
      if (marker) { map.removeLayer(marker); }
      marker = L.circleMarker([b.wgs84.lat, b.wgs84.lon], { radius: 7, color: "#b42318", weight: 3 }).addTo(map);
      if (b.outside) { out.textContent = T.outside || "网格外"; return; }
      out.innerHTML = escapeHtml(T.belongs || "所属网格") + "：" + b.chain.map(function (g) {
        return "<a href=\"/grids/" + g.id + "/\">" + escapeHtml(g.name) + "</a>";
      }).join(" › ");
    });
  }
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      lookup(form.lon.value, form.lat.value, form.crs.value);
    });
    map.on("click", function (ev) {
      form.lon.value = ev.latlng.lng.toFixed(6);
      form.lat.value = ev.latlng.lat.toFixed(6);
      form.crs.value = "wgs84";
    });
  }
})();
