/* An entity's point on the map, inside its grid's boundary. */
(function () {
  "use strict";
  var el = document.getElementById("entity-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var point = JSON.parse(el.dataset.point);
  var grid = el.dataset.grid && el.dataset.grid !== "null" ? JSON.parse(el.dataset.grid) : null;
  var ll = [point.geometry.coordinates[1], point.geometry.coordinates[0]];
  if (grid) {
    var g = L.geoJSON(grid, { style: function () { return { color: "#0b6e4f", weight: 2, fillColor: "#d7ece3", fillOpacity: 0.6 }; } }).addTo(map);
    map.fitBounds(g.getBounds(), { padding: [12, 12] });
  } else {
    map.setView(ll, 15);
  }
  L.circleMarker(ll, { radius: 7, color: "#b42318", weight: 3 }).addTo(map);
})();
