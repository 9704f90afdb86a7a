/* Public maps: grid division coloured by construction status (+ hazards), and the
   place picker of the petition form. Works without a tile server (blank base map);
   the coordinate inputs stay the keyboard-accessible way to give a place. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  function baseMap(el) {
    var map = L.map(el, { keyboard: true, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "" }).addTo(map);
    }
    map.setView([40.66, 122.25], 12);
    return map;
  }
  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  function gridLayer(map, url, onEach, neutral) {
    return fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.features || !data.features.length) { return null; }
        // Only the lowest grids are filled (their status colour); grids with children are
        // drawn as outlines, heavier for higher levels, so the colours do not stack.
        var parents = {};
        data.features.forEach(function (f) { if (f.properties.parent_code) { parents[f.properties.parent_code] = true; } });
        var layer = L.geoJSON(data, {
          style: function (f) {
            var done = f.properties.construction === "complete";
            var leaf = !parents[f.properties.code];
            if (neutral) {
              return leaf ? { color: "#0b6e4f", weight: 1, fillColor: "#0b6e4f", fillOpacity: 0.08 }
                          : { color: "#0b6e4f", weight: 2.5, fill: false };
            }
            return leaf
              ? { color: "#ffffff", weight: 1, fillColor: done ? "#12b76a" : "#f79009", fillOpacity: 0.55 }
              : { color: "#1f2933", weight: Math.max(1.5, 5 - (f.properties.level || 2)), fill: false, opacity: 0.8 };
          },
          onEachFeature: onEach
        }).addTo(map);
        // Outlines of higher grids above the filled lowest ones, the top level last.
        var outlines = [];
        layer.eachLayer(function (l) { if (parents[l.feature.properties.code]) { outlines.push(l); } });
        outlines.sort(function (a, b) { return b.feature.properties.level - a.feature.properties.level; });
        outlines.forEach(function (l) { l.bringToFront(); });
        map.fitBounds(layer.getBounds());
        return layer;
      });
  }
  var gm = document.getElementById("grid-map");
  if (gm) {
    var map = baseMap(gm);
    gridLayer(map, gm.dataset.grids, function (f, layer) {
      var p = f.properties;
      var label = p.construction === "complete" ? gm.dataset.labelComplete : gm.dataset.labelBuilding;
      layer.bindPopup("<strong>" + esc(p.name) + "</strong> (" + esc(p.code) + ")<br>" + esc(p.owner_unit) +
        "<br>" + esc(label) + (p.gaps && p.gaps.length ? "<br><small>" + esc(p.gaps.join("；")) + "</small>" : ""));
      layer.bindTooltip(esc(p.name), { sticky: true });
    });
    map.createPane("hazards");
    map.getPane("hazards").style.zIndex = 650;
    if (gm.dataset.hazards) {
      fetch(gm.dataset.hazards).then(function (r) { return r.json(); }).then(function (data) {
        L.geoJSON(data, {
          pointToLayer: function (f, ll) { return L.circleMarker(ll, { pane: "hazards", radius: 8, color: "#ffffff", weight: 2, fillColor: "#d92d20", fillOpacity: 1 }); },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            layer.bindPopup("<strong>" + esc(gm.dataset.labelHazard) + "</strong><br>" + esc(p.place) + "<br>" +
              esc(p.kind_label) + " · " + esc(p.level_label) + " · " + esc(p.status_label));
          }
        }).addTo(map);
      });
    }
  }
  var pm = document.getElementById("pick-map");
  if (pm) {
    var pmap = baseMap(pm), marker = null;
    pm.leafletMap = pmap;
    var lon = document.getElementById("id_lon"), lat = document.getElementById("id_lat"), crs = document.getElementById("id_crs");
    gridLayer(pmap, pm.dataset.grids, function (f, layer) { layer.bindTooltip(esc(f.properties.name), { sticky: true }); }, true)
      .then(function (layer) { if (layer) { layer.on("click", function (e) { pick(e.latlng); }); } });
    function place(ll) {
      if (marker) { marker.setLatLng(ll); } else { marker = L.marker(ll, { keyboard: true }).addTo(pmap); }
    }
    function pick(ll) {
      place(ll);
      lon.value = ll.lng.toFixed(6); lat.value = ll.lat.toFixed(6);
      if (crs) { crs.value = "wgs84"; }
    }
    pmap.on("click", function (e) { pick(e.latlng); });
    function fromInputs() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (!isNaN(x) && !isNaN(y) && (!crs || crs.value === "wgs84")) { place([y, x]); }
    }
    lon.addEventListener("change", fromInputs); lat.addEventListener("change", fromInputs);
    fromInputs();
  }
})();
