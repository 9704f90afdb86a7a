// Action form: show only the fieldsets of the chosen category (a static file, so the
// Content-Security-Policy can forbid inline scripts).
(function () {
  var c = document.getElementById("id_category"), form = document.querySelector(".enf-form");
  if (!form) return;
  function cur() { return c ? c.value : form.dataset.category; }
  function sync() {
    document.querySelectorAll(".enf-form fieldset.cat").forEach(function (f) {
      f.hidden = !f.classList.contains("cat-" + cur());
    });
  }
  if (c) c.addEventListener("change", sync);
  sync();
})();
