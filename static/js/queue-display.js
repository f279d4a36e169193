// The public queue display (templates/queue/display.html) reloads itself every
// data-refresh seconds, so the number just called appears without anyone touching the screen.
// A script rather than <meta http-equiv="refresh">, which screen readers and axe treat as a
// page changing under its reader; this screen has no reader at a desk, only the waiting room.
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-refresh"), 10) || 10;
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
