// The kiosk's one script: live updates by server-sent events, and a scan
// field that keeps the focus so a barcode scanner's typing always lands.
"use strict";
document.querySelectorAll("[data-events]").forEach(function (box) {
  var es = new EventSource(box.dataset.events);
  es.addEventListener("update", function (e) {
    var active = document.activeElement;
    // Never replace a form a person is typing into.
    if (active && box.contains(active) && active.value) { return; }
    box.innerHTML = e.data;
  });
  es.addEventListener("done", function () { es.close(); location.reload(); });
});
var code = document.getElementById("code");
if (code) {
  code.addEventListener("blur", function () {
    setTimeout(function () {
      var a = document.activeElement;
      if (!a || a === document.body) { code.focus(); }
    }, 1500);
  });
}
