// Desk intake: optional comforts. Every page works without this file.
(function () {
  "use strict";

  // One click, one submission: the idempotency key guards the server; this spares the wait.
  document.querySelectorAll("form.intake").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[data-once]");
      if (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  });

  // After a failed save, start at the list of problems (it links to each field).
  var problems = document.getElementById("problems");
  if (problems) { problems.focus(); }

  // "Untuk siapa" names a new member as soon as the officer types the name.
  document.querySelectorAll("input[id^='members-'][id$='-name']").forEach(function (input) {
    var key = "m" + input.id.split("-")[1];
    input.addEventListener("input", function () {
      document.querySelectorAll("select[id^='needs-'][id$='-person'] option[value='" + key + "']").forEach(function (option) {
        if (!option.dataset.original) { option.dataset.original = option.textContent; }
        option.textContent = input.value.trim() || option.dataset.original;
      });
    });
  });

  // Region picker: province > regency > district > village selects that fill the village code.
  document.querySelectorAll(".region-picker").forEach(function (picker) {
    var input = picker.querySelector("input");
    var url = picker.getAttribute("data-children-url");
    if (!input || !url || !window.fetch) { return; }
    var levels = [];

    function load(select, parent, chosen) {
      fetch(url + "?parent=" + encodeURIComponent(parent || ""), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          select.length = 1;
          items.forEach(function (item) {
            var option = new Option(item.name, item.code);
            if (chosen && chosen.indexOf(item.code) === 0 && (chosen === item.code || chosen.charAt(item.code.length) === ".")) {
              option.selected = true;
            }
            select.add(option);
          });
          select.disabled = items.length === 0;
          var next = levels[levels.indexOf(select) + 1];
          if (select.value && next) { load(next, select.value, chosen); }
        });
    }

    ["Provinsi", "Kabupaten/kota", "Kecamatan", "Desa/kelurahan"].forEach(function (name, i) {
      var select = document.createElement("select");
      select.setAttribute("aria-label", name);
      select.add(new Option("– " + name + " –", ""));
      select.disabled = i > 0;
      select.addEventListener("change", function () {
        levels.slice(i + 1).forEach(function (s) { s.length = 1; s.disabled = true; });
        if (i === 3) { input.value = select.value; return; }
        input.value = "";
        if (select.value) { load(levels[i + 1], select.value, null); }
      });
      levels.push(select);
      picker.appendChild(select);
    });
    load(levels[0], "", input.value);
  });
})();
