// Patrol page: the merged track on a Leaflet map (data from the json_script element).
(function () {
  var el = document.getElementById("patrol-map");
  if (!el || !window.L) return;
  var track = JSON.parse(JSON.parse(document.getElementById("track-data").textContent));
  var latlngs = track.geometry.coordinates.map(function (c) { return [c[1], c[0]]; });
  var map = L.map(el, {attributionControl: false});
  var line = L.polyline(latlngs, {color: "#1a7f5a", weight: 4}).addTo(map);
  if (latlngs.length) {
    L.circleMarker(latlngs[0], {radius: 6, color: "#1a7f5a"}).addTo(map);
    L.circleMarker(latlngs[latlngs.length - 1], {radius: 6, color: "#c0392b"}).addTo(map);
  }
  map.fitBounds(line.getBounds(), {padding: [12, 12]});
  el.dataset.points = latlngs.length;
})();
