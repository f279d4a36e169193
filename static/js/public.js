/* Region picker for the online report: province -> regency -> district -> village, fed by
   /regions/children. Optional: without JavaScript the page offers a name search instead. */
(function () {
  "use strict";
  var picker = document.querySelector("[data-region-picker]");
  if (!picker || !window.fetch) return;
  var target = document.getElementById(picker.dataset.target);
  var fallback = document.getElementById(picker.dataset.fallback);
  var selects = Array.prototype.slice.call(picker.querySelectorAll("select"));
  var url = picker.dataset.childrenUrl;
  var blank = selects[0].options[0].text;

  function fill(select, parent, chosen) {
    select.disabled = true;
    return fetch(url + (parent ? "?parent=" + encodeURIComponent(parent) : ""))
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

  // Show the picker only once the first list has loaded; a failed fetch leaves the fallback.
  var current = target.value || "";
  var parts = current.split(".");
  var path = parts.length === 4 ? parts.map(function (_, i) { return parts.slice(0, i + 1).join("."); }) : [];
  fill(selects[0], null, path[0]).then(function () {
    picker.hidden = false;
    fallback.hidden = true;
    var error = picker.parentNode.querySelector(".picker-error");
    if (error) error.hidden = false;
    var chain = Promise.resolve();
    path.slice(1).forEach(function (code, i) {
      chain = chain.then(function () { return fill(selects[i + 1], path[i], code); });
    });
  }).catch(function () { picker.hidden = true; });
}());
