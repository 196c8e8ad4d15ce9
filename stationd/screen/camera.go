package screen

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"copystation/internal/qr/qrscan"
)

// scanFrame reads a QR code from one frame of the kiosk's camera:
// POST /scan?w=W&h=H with the frame's luminance (W×H bytes, one a pixel)
// as the body. It answers 200 with {"code": TEXT} when the frame holds a
// code, 204 when it holds none, 400 for a body that is not a frame. The
// page then types the text into the scan field and submits it, so a code
// read by the camera takes exactly the scanner's path (and its checks).
func (s *Server) scanFrame(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body) // bounded by the guard: qrscan.MaxPixel
	if err != nil {
		http.Error(w, "The camera frame is too large: send at most 640×480 pixels of luminance.", http.StatusRequestEntityTooLarge)
		return
	}
	f, err := qrscan.ParseFrame(r.URL.Query().Get("w"), r.URL.Query().Get("h"), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	text, err := qrscan.Decode(f)
	if errors.Is(err, qrscan.ErrNoCode) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"code": text})
}
