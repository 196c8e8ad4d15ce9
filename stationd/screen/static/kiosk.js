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

// The camera reader: the phone's QR code read through the kiosk's camera.
// Chromium's BarcodeDetector when the platform has one (not on Linux);
// otherwise each frame's luminance goes to the screen (POST /scan), which
// decodes it. The text is typed into the scan field and submitted, as a
// scanner would.
var camStart = document.getElementById("camera-start");
if (camStart && code) {
  camStart.addEventListener("click", function () {
    var box = document.getElementById("camera");
    var video = document.getElementById("camera-view");
    var status = document.getElementById("camera-status");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = "This screen has no camera: use the scanner.";
      box.classList.remove("hidden");
      return;
    }
    camStart.disabled = true;
    navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false }).then(function (stream) {
      box.classList.remove("hidden");
      video.srcObject = stream;
      video.play();
      var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      var canvas = document.createElement("canvas");
      var busy = false;
      var found = function (text) {
        busy = false;
        if (!text) { return; }
        clearInterval(timer);
        stream.getTracks().forEach(function (t) { t.stop(); });
        status.textContent = "Code read.";
        code.value = text;
        code.form.submit();
      };
      var timer = setInterval(function () {
        if (busy || video.readyState < 2 || !video.videoWidth) { return; }
        busy = true;
        if (detector) {
          detector.detect(video).then(function (r) { found(r.length ? r[0].rawValue : null); }, function () { found(null); });
          return;
        }
        var scale = Math.min(1, 640 / video.videoWidth, 480 / video.videoHeight);
        var w = Math.floor(video.videoWidth * scale), h = Math.floor(video.videoHeight * scale);
        canvas.width = w; canvas.height = h;
        var ctx = canvas.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(video, 0, 0, w, h);
        var px = ctx.getImageData(0, 0, w, h).data, y = new Uint8Array(w * h);
        for (var i = 0; i < y.length; i++) {
          y[i] = (px[4 * i] * 77 + px[4 * i + 1] * 150 + px[4 * i + 2] * 29) >> 8; // BT.601 luma
        }
        fetch(camStart.dataset.scan + "?w=" + w + "&h=" + h, { method: "POST", body: y, headers: { "Content-Type": "application/octet-stream" } })
          .then(function (r) { return r.status === 200 ? r.json() : null; })
          .then(function (j) { found(j && j.code); }, function () { found(null); });
      }, 250);
    }, function (err) {
      camStart.disabled = false;
      box.classList.remove("hidden");
      status.textContent = "The camera could not be opened (" + err.name + "): use the scanner, or call staff.";
    });
  });
}
