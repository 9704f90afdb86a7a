/* Polls an import job until it finishes, showing progress and every bad row. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.dataset.statusUrl;
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function poll() {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
      var st = document.getElementById("job-status");
      st.textContent = j.status_label;
      st.className = "status status-" + j.status;
      document.getElementById("job-count").textContent = j.processed + " / " + j.total;
      document.getElementById("job-progress").value = j.percent;
      document.getElementById("job-message").textContent = j.message;
      document.getElementById("job-written").textContent = j.written;
      document.getElementById("job-attempts").textContent = j.attempts;
      document.getElementById("job-retry").hidden = j.status !== "failed";
      document.getElementById("job-cancel").hidden = j.finished;
      if (j.errors && j.errors.length) {
        var table = document.getElementById("job-errors");
        table.hidden = false;
        table.querySelector("tbody").innerHTML = j.errors.map(function (e) {
          return "<tr class=\"late\"><td>" + esc(e.row) + "</td><td>" + esc(e.field) + "</td><td>" + esc(e.message) + "</td></tr>";
        }).join("");
      }
      if (!j.finished) { setTimeout(poll, 800); }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
