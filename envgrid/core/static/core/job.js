/* Polls a long job (core.jobs) until it finishes, showing its progress. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.dataset.statusUrl;
  function poll() {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
      var st = document.getElementById("job-status");
      st.textContent = j.status_label;
      st.className = "status status-" + j.status;
      document.getElementById("job-count").textContent = j.done + " / " + j.total;
      document.getElementById("job-progress").value = j.percent;
      document.getElementById("job-message").textContent = j.message;
      document.getElementById("job-attempts").textContent = j.attempts;
      document.getElementById("job-retry").hidden = !(j.status === "failed" || j.status === "cancelled");
      document.getElementById("job-cancel").hidden = j.finished;
      if (!j.finished) { setTimeout(poll, 800); }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
