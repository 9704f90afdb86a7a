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
// <select data-lookup="/lookup/<kind>/"> (envgrid.core.widgets.SearchSelect): a search box
// over the select; typing asks the endpoint (scoped to what the user may see) and a chosen
// result becomes the select's selected option, so the form posts exactly what it would
// without this script. A multiple select lists its choices under the box, each removable.
(function () {
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function enhance(sel) {
    if (sel.dataset.enhanced) return;
    sel.dataset.enhanced = "1";
    var multi = sel.multiple, n = 0;
    var wrap = el("div", { "class": "picker" });
    sel.parentNode.insertBefore(wrap, sel);
    var listId = sel.id + "_results";
    var box = el("input", {
      type: "search", id: sel.id + "_search", autocomplete: "off", role: "combobox",
      "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": listId,
      placeholder: sel.dataset.placeholder || ""
    });
    var label = sel.id && document.querySelector('label[for="' + sel.id + '"]');
    if (label) { label.setAttribute("for", box.id); box.setAttribute("aria-label", label.textContent.replace("*", "").trim()); }
    var list = el("ul", { "class": "picker-results", id: listId, role: "listbox", hidden: "" });
    var chosen = el("ul", { "class": "picker-chosen" });
    wrap.appendChild(box); wrap.appendChild(list); wrap.appendChild(sel);
    if (multi) wrap.appendChild(chosen);
    sel.classList.add("picker-hidden");
    sel.setAttribute("tabindex", "-1");
    function selected() { return Array.prototype.filter.call(sel.options, function (o) { return o.selected && o.value; }); }
    function showChosen() {
      if (!multi) { var s = selected()[0]; box.value = s ? s.text : ""; return; }
      chosen.textContent = "";
      selected().forEach(function (o) {
        var li = el("li", {}, o.text);
        var b = el("button", { type: "button", "aria-label": (sel.dataset.remove || "") + " " + o.text }, "×");
        b.addEventListener("click", function () { o.selected = false; showChosen(); sel.dispatchEvent(new Event("change", { bubbles: true })); });
        li.appendChild(b); chosen.appendChild(li);
      });
    }
    function choose(id, text) {
      var opt = Array.prototype.find.call(sel.options, function (o) { return o.value === String(id); });
      if (!opt) { opt = el("option", { value: String(id) }, text); sel.appendChild(opt); }
      if (!multi) Array.prototype.forEach.call(sel.options, function (o) { o.selected = false; });
      opt.selected = true;
      close(); showChosen();
      if (multi) box.value = "";
      sel.dispatchEvent(new Event("change", { bubbles: true }));
    }
    sel.pickerChoose = choose;
    function close() { list.hidden = true; box.setAttribute("aria-expanded", "false"); }
    function render(results) {
      list.textContent = "";
      if (!results.length) list.appendChild(el("li", { "class": "none", "aria-disabled": "true" }, sel.dataset.none || ""));
      results.forEach(function (r, i) {
        var li = el("li", { role: "option", id: listId + "_" + i, "data-id": r.id, "aria-selected": i === 0 ? "true" : "false" }, r.label);
        if (r.hint) li.appendChild(el("small", {}, r.hint));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(r.id, r.label); });
        list.appendChild(li);
      });
      list.hidden = false; box.setAttribute("aria-expanded", "true");
    }
    var timer = null;
    function search() {
      var mine = ++n, q = box.value.trim();
      fetch(sel.dataset.lookup + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (d) { if (mine === n && document.activeElement === box) render(d.results || []); });
    }
    box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    box.addEventListener("focus", function () { if (multi || !box.value) search(); });
    box.addEventListener("blur", function () {
      close();
      if (multi) return;
      // An emptied box clears the choice; otherwise it shows the chosen name again.
      if (!box.value.trim() && sel.value) { sel.value = ""; sel.dispatchEvent(new Event("change", { bubbles: true })); }
      showChosen();
    });
    box.addEventListener("keydown", function (e) {
      var items = list.querySelectorAll("li[role=option]"), cur = list.querySelector("li[aria-selected=true]");
      var idx = Array.prototype.indexOf.call(items, cur);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault(); if (!items.length) return;
        idx = e.key === "ArrowDown" ? Math.min(idx + 1, items.length - 1) : Math.max(idx - 1, 0);
        if (cur) cur.setAttribute("aria-selected", "false");
        items[idx].setAttribute("aria-selected", "true");
        box.setAttribute("aria-activedescendant", items[idx].id);
      } else if (e.key === "Enter" && !list.hidden) {
        e.preventDefault(); if (cur) choose(cur.dataset.id, cur.firstChild.textContent);
      } else if (e.key === "Escape") { close(); }
    });
    showChosen();
  }
  function init() { document.querySelectorAll("select[data-lookup]").forEach(enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
  // <button data-fill="<select id>" data-value data-label>: chooses that value (e.g. the
  // suggested receiver of a transfer).
  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest("button[data-fill]") : null;
    if (!b) return;
    var sel = document.getElementById(b.dataset.fill);
    if (!sel) return;
    if (sel.pickerChoose) { sel.pickerChoose(b.dataset.value, b.dataset.label); return; }
    var opt = Array.prototype.find.call(sel.options, function (o) { return o.value === b.dataset.value; });
    if (!opt) { opt = document.createElement("option"); opt.value = b.dataset.value; opt.textContent = b.dataset.label; sel.appendChild(opt); }
    sel.value = b.dataset.value;
  });
})();
