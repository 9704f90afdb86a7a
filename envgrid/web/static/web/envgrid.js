// Behaviour shared by every page, declared in the markup instead of inline handlers (the
// Content-Security-Policy allows scripts from this site only):
//   <select data-autosubmit>  submits its form when changed;
//   <form data-confirm="…">   asks for confirmation before it is submitted.
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.submit();
});
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f && f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
}, true);
// <a data-back> goes back in history when there is one (its href is the fallback).
document.addEventListener("click", function (e) {
  var a = e.target && e.target.closest ? e.target.closest("a[data-back]") : null;
  if (a && window.history.length > 1) { e.preventDefault(); window.history.back(); }
});
