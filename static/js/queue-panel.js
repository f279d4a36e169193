// The desk home's queue panel (templates/queue/_home_section.html): filled from the address in
// data-queue-panel, then again every 15 seconds, so visitors given a number at another desk show
// up without a reload. Left alone while the officer types in it; stops when the session ended.
(function () {
  "use strict";
  var EVERY = 15000;

  document.querySelectorAll("[data-queue-panel]").forEach(function (panel) {
    var url = panel.getAttribute("data-queue-panel");
    var timer = null;

    function load() {
      if (panel.contains(document.activeElement) && document.activeElement.tagName === "INPUT") {
        timer = window.setTimeout(load, EVERY);
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (!response.ok || response.redirected) { throw new Error("queue panel: " + response.status); }
          return response.text();
        })
        .then(function (html) {
          panel.innerHTML = html;
          timer = window.setTimeout(load, EVERY);
        })
        .catch(function () { window.clearTimeout(timer); });
    }

    load();
  });
})();
