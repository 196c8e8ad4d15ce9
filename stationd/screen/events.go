package screen

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// fragment renders one named template to a string: the same markup the
// page holds, so a live update and a reload show the same thing.
func (s *Server) fragment(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := s.pages.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// stream serves server-sent events: an "update" with the fragment each
// time it changes (checked every Poll), then a "done" event once next says
// the view is finished, and the stream ends. A client's EventSource
// reconnects by itself if the stream breaks.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, next func() (html string, finished bool, err error)) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n\n")
	fl.Flush()
	last := ""
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		html, finished, err := next()
		switch {
		case err != nil:
			writeEvent(w, "problem", err.Error())
		case finished:
			writeEvent(w, "done", "")
			fl.Flush()
			return
		case html != last:
			writeEvent(w, "update", html)
			last = html
		default:
			fmt.Fprint(w, ": idle\n\n") // keeps proxies and the browser from timing out
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// writeEvent writes one event; each line of data gets its own "data:"
// field, as the SSE format requires.
func writeEvent(w http.ResponseWriter, event, data string) {
	var b strings.Builder
	fmt.Fprintf(&b, "event: %s\n", event)
	for _, line := range strings.Split(data, "\n") {
		fmt.Fprintf(&b, "data: %s\n", strings.TrimSuffix(line, "\r"))
	}
	b.WriteString("\n")
	w.Write([]byte(b.String()))
}
