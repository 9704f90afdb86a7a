/* Overview map: grids shaded by open and overdue items (data from the page, Leaflet served locally). */
(function () {
  "use strict";
  var el = document.getElementById("dash-map");
  var src = document.getElementById("dash-map-data");
  if (!el || !src || typeof L === "undefined") { return; }
  var data = JSON.parse(src.textContent);
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var layer = L.geoJSON(data, {
    filter: function (f) { return !!f.geometry; },
    style: function (f) {
      return { color: "#444", weight: 1, fillColor: f.properties.color, fillOpacity: 0.75 };
    },
    onEachFeature: function (f, lyr) {
      var p = f.properties;
      var html = "<strong>" + esc(p.name) + "</strong><br><small>" + esc(p.owner || "") + "</small><table class='popup'>";
      p.lines.forEach(function (l) {
        html += "<tr><td><a href='" + esc(l.url) + "'>" + esc(l.label) + "</a></td><td>" + l.n + "</td>";
        html += "<td>" + (l.overdue ? "<a class='warn' href='" + esc(l.overdue_url) + "'>逾期 " + l.overdue + "</a>" : "") + "</td></tr>";
      });
      html += "</table>";
      lyr.bindPopup(html);
      lyr.bindTooltip(esc(p.name) + "：办理中 " + p.open + "，逾期 " + p.overdue, { sticky: true });
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); } else { map.setView([40.66, 122.23], 12); }
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
})();
