package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
)

func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return NewClient(sock)
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(error) bool
	}{
		{"typed error", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"code":"tampered","message":"the station's enclosure was opened"}`))
		}, func(err error) bool {
			var e *Error
			return errors.As(err, &e) && e.Code == "tampered"
		}},
		{"status without body", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}, func(err error) bool {
			return err != nil && err.Error() == "stationd answered 500 Internal Server Error"
		}},
		{"garbage body", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("not json"))
		}, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serve(t, tt.handler).Status(context.Background())
			if !tt.check(err) {
				t.Errorf("Status() = %v", err)
			}
		})
	}
}

func TestNoDaemon(t *testing.T) {
	_, err := NewClient(filepath.Join(t.TempDir(), "none.sock")).Jobs(context.Background())
	if !errors.Is(err, ErrNoDaemon) {
		t.Errorf("Jobs() with no daemon = %v, want %v", err, ErrNoDaemon)
	}
}
