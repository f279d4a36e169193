/* Region picker (templates/macros/region_picker.html): province -> regency -> district ->
   village selects fed by /regions/children. Optional: without JavaScript, or when the list
   cannot be fetched, the form's own village field (and its fallback block) stay in use. */
(function () {
  "use strict";
  if (!window.fetch) return;
  document.querySelectorAll("[data-region-picker]").forEach(function (picker) {
    var target = document.getElementById(picker.dataset.target);
    var fallback = picker.dataset.fallback ? document.getElementById(picker.dataset.fallback) : null;
    var selects = Array.prototype.slice.call(picker.querySelectorAll("select"));
    var url = picker.dataset.childrenUrl;
    if (!target || selects.length !== 4) return;
    var blank = selects[0].options[0].text;

    function fill(select, parent, chosen) {
      select.disabled = true;
      return fetch(url + (parent ? "?parent=" + encodeURIComponent(parent) : ""),
                   { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (rows) {
          select.options.length = 1;
          rows.forEach(function (row) { select.add(new Option(row.name, row.code)); });
          select.value = chosen || "";
          select.disabled = false;
        });
    }

    function clearFrom(index) {
      for (var i = index; i < selects.length; i++) {
        selects[i].options.length = 1;
        selects[i].options[0].text = blank;
        selects[i].disabled = true;
      }
    }

    selects.forEach(function (select, index) {
      select.addEventListener("change", function () {
        clearFrom(index + 1);
        target.value = index === selects.length - 1 ? select.value : "";
        if (select.value && index < selects.length - 1) fill(selects[index + 1], select.value);
      });
    });

    // Pre-select the path of a village already chosen (a desk's own village, a form sent back).
    var parts = (target.value || "").split(".");
    var path = parts.length === 4 ? parts.map(function (_, i) { return parts.slice(0, i + 1).join("."); }) : [];
    fill(selects[0], null, path[0]).then(function () {
      picker.hidden = false;
      if (fallback) fallback.hidden = true;
      var error = picker.parentNode.querySelector(".picker-error");
      if (error) error.hidden = false;
      var chain = Promise.resolve();
      path.slice(1).forEach(function (code, i) {
        chain = chain.then(function () { return fill(selects[i + 1], path[i], code); });
      });
    }).catch(function () { picker.hidden = true; });
  });
}());
