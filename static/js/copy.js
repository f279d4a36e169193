// "Salin kode" and "Bagikan" for a tracking code (templates/public/report_done.html). The buttons
// stay hidden where the browser cannot do it, so nothing on the page promises what it cannot keep.
(function () {
  "use strict";
  var status = document.querySelector("[data-copy-status]");

  function textOf(selector) {
    var element = document.querySelector(selector);
    return element ? element.textContent.trim() : "";
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard || !window.isSecureContext) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(textOf(button.getAttribute("data-copy"))).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      });
    });
  });

  document.querySelectorAll("[data-share]").forEach(function (button) {
    if (!navigator.share) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var data = { text: button.getAttribute("data-share-text") + " " + textOf(button.getAttribute("data-share")) };
      if (button.getAttribute("data-share-url")) { data.url = button.getAttribute("data-share-url"); }
      navigator.share(data).catch(function () { /* the citizen closed the share sheet */ });
    });
  });
})();
