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
})();
