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

  // "Untuk siapa" names a new member as soon as the officer types the name (rows added later too).
  function nameMember(input) {
    var key = "m" + input.id.split("-")[1];
    document.querySelectorAll("select[id^='needs-'][id$='-person'] option[value='" + key + "']").forEach(function (option) {
      if (!option.dataset.original) { option.dataset.original = option.textContent; }
      option.textContent = input.value.trim() || option.dataset.original;
    });
  }
  document.addEventListener("input", function (event) {
    if (/^members-\d+-name$/.test(event.target.id || "")) { nameMember(event.target); }
  });

  var form = document.querySelector("form.intake[data-today]");
  if (!form) { return; }

  // --- Fields only where they can change something -------------------------------------------
  // The same rules as the service (slrt/intake/registration.py), which ignores what cannot apply.
  function pair(name) {
    var parts = (form.getAttribute(name) || "").split(",");
    return [parseInt(parts[0], 10), parseInt(parts[1], 10)];
  }
  var today = form.getAttribute("data-today").split("-").map(Number);
  var aboutYears = parseInt(form.getAttribute("data-about-years"), 10) || 0;
  var adultAge = parseInt(form.getAttribute("data-adult-age"), 10);
  var pregnancyAges = pair("data-pregnancy-ages");
  var schoolingAges = pair("data-schooling-ages");

  function input(scope, suffix) {
    return scope.querySelector("[name$='" + suffix + "']");
  }

  // [youngest, oldest] on the office's today, or null when the birth date is not (yet) known.
  function ageBounds(scope) {
    var precision = input(scope, "birth_precision");
    var kind = precision ? precision.value : "day";
    if (kind === "year" || kind === "about") {
      var text = (input(scope, "birth_year") || {}).value || "";
      if (!/^\d{4}$/.test(text)) { return null; }
      var spread = kind === "about" ? aboutYears : 0;
      var year = parseInt(text, 10);
      return [Math.max(0, today[0] - (year + spread) - 1), Math.max(0, today[0] - (year - spread))];
    }
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec((input(scope, "birth_date") || {}).value || "");
    if (!match) { return null; }
    var born = [Number(match[1]), Number(match[2]), Number(match[3])];
    var age = today[0] - born[0] - ((today[1] < born[1] || (today[1] === born[1] && today[2] < born[2])) ? 1 : 0);
    return age < 0 ? null : [age, age];
  }

  function mayBeAged(bounds, low, high) {
    return !bounds || (bounds[1] >= low && (high === undefined || bounds[0] <= high));
  }

  function toggle(root, when, on) {
    root.querySelectorAll("[data-when='" + when + "']").forEach(function (element) { element.hidden = !on; });
  }

  function fit(scope) {
    var precision = input(scope, "birth_precision");
    var byYear = precision && (precision.value === "year" || precision.value === "about");
    toggle(scope, "day", !byYear);
    toggle(scope, "year", !!byYear);
    var bounds = ageBounds(scope);
    var sex = input(scope, "sex");
    toggle(scope, "school", mayBeAged(bounds, schoolingAges[0], schoolingAges[1]));
    toggle(scope, "pregnancy", !!sex && sex.value === "P" && mayBeAged(bounds, pregnancyAges[0], pregnancyAges[1]));
    if (scope.getAttribute("data-person") === "self") {
      toggle(form, "minor", mayBeAged(bounds, 0, adultAge - 1));
    }
  }

  function fitAll() { form.querySelectorAll("[data-person]").forEach(fit); }
  ["input", "change"].forEach(function (type) {
    form.addEventListener(type, function (event) {
      var scope = event.target.closest && event.target.closest("[data-person]");
      if (scope) { fit(scope); }
    });
  });
  fitAll();

  // --- As many rows as the citizen needs ----------------------------------------------------
  function rowsOf(kind) { return form.querySelector("[data-rows='" + kind + "']"); }

  function showLimit(kind) {
    var list = rowsOf(kind);
    var full = list.querySelectorAll("[data-row]").length >= parseInt(list.getAttribute("data-max"), 10);
    form.querySelectorAll("[data-add-row='" + kind + "']").forEach(function (b) { b.hidden = full; });
    form.querySelectorAll("[data-row-limit='" + kind + "']").forEach(function (p) { p.hidden = !full; });
    return full;
  }

  // A copy of the last row, renumbered (kind-N-field) and emptied.
  function addRow(kind) {
    var list = rowsOf(kind);
    var rows = list.querySelectorAll("[data-row]");
    if (!rows.length || showLimit(kind)) { return null; }
    var last = rows[rows.length - 1];
    var from = new RegExp("^" + kind + "-(\\d+)-");
    var found = from.exec((last.querySelector("[name]") || {}).name || "");
    var index = found ? parseInt(found[1], 10) + 1 : rows.length;
    var row = last.cloneNode(true);
    ["id", "name", "for", "aria-describedby"].forEach(function (attr) {
      row.querySelectorAll("[" + attr + "]").forEach(function (element) {
        element.setAttribute(attr, element.getAttribute(attr).replace(from, kind + "-" + index + "-"));
      });
    });
    row.querySelectorAll(".field-error").forEach(function (e) { e.parentNode.removeChild(e); });
    row.querySelectorAll(".has-error").forEach(function (e) { e.classList.remove("has-error"); });
    row.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    row.querySelectorAll("input, textarea, select").forEach(function (element) {
      if (element.type === "checkbox") { element.checked = false; }
      else if (element.tagName === "SELECT") {
        // The first choice is each select's blank or default ("– pilih –", "Tidak ada", "Tanggal lengkap").
        Array.prototype.forEach.call(element.options, function (o) { o.removeAttribute("selected"); });
        element.selectedIndex = 0;
      } else { element.value = ""; }
    });
    var title = row.querySelector("[data-row-title]");
    if (title && title.firstChild) {
      title.firstChild.textContent = title.firstChild.textContent.replace(/\d+/, String(rows.length + 1));
    }
    list.appendChild(row);
    if (kind === "members") {
      // The new member can be named in every "Untuk siapa".
      var sample = form.querySelector("select[id$='-person'] option[value^='m']");
      var label = sample ? (sample.dataset.original || sample.textContent).replace(/\d+/, String(rows.length + 1)) : "";
      form.querySelectorAll("select[id^='needs-'][id$='-person']").forEach(function (select) {
        var option = document.createElement("option");
        option.value = "m" + index;
        option.textContent = label;
        select.appendChild(option);
      });
    }
    if (row.hasAttribute("data-person")) { fit(row); }
    showLimit(kind);
    return row;
  }

  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      // Handled here: the plain submit (the page again with one more row) is for browsers without this file.
      event.preventDefault();
      var row = addRow(button.getAttribute("data-add-row"));
      var first = row && row.querySelector("select, input, textarea");
      if (first) { first.focus(); }
    });
  });

  // A draft put back by static/js/draft.js may hold more rows than the page: make room first.
  form.addEventListener("draft:fill", function (event) {
    ["needs", "members"].forEach(function (kind) {
      var highest = -1;
      Object.keys(event.detail || {}).forEach(function (name) {
        var match = new RegExp("^" + kind + "-(\\d+)-").exec(name);
        if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
      });
      while (rowsOf(kind).querySelectorAll("[data-row]").length <= highest && addRow(kind)) { /* one more */ }
    });
  });
})();
