// Package screen is the kiosk's touch screen: web pages that stationd
// serves on loopback for a kiosk browser (Chromium --kiosk). Customers
// choose a title, scan their grant and watch the copy; staff, behind a PIN,
// watch drives, bins and alerts and act on them. Everything is served from
// the binary (html/template, embedded CSS and one small script), live
// updates come by server-sent events, and the screen reaches the daemon
// only through its local API, as the CLI does.
package screen

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"copystation/internal/localweb"
	"copystation/internal/qr/qrscan"
	"copystation/stationd/api"
)

// Station is what the screen asks of the daemon: *api.Client on the
// daemon's socket.
type Station interface {
	Status(ctx context.Context) (*api.Status, error)
	Jobs(ctx context.Context, activeOnly ...bool) ([]api.Job, error)
	Job(ctx context.Context, id string) (*api.Job, error)
	Burn(ctx context.Context, r api.BurnRequest) (*api.Job, error)
	Cancel(ctx context.Context, id string) (*api.Job, error)
	ClearTamper(ctx context.Context, code string) error
	ResetRobot(ctx context.Context) error
}

var _ Station = (*api.Client)(nil)

// Config shapes the screen.
type Config struct {
	Station   Station
	TitlesDir string
	// StaffPIN opens the staff view (4 to 12 digits); empty: no staff view.
	StaffPIN string
	// HomeTokens are tokens the station owns (a home appliance): the
	// screen offers them with a confirmation and no phone. HomePIN (4 to
	// 12 digits, optional) must then be entered too.
	HomeTokens []HomeToken
	HomePIN    string
	// RejectBinCapacity raises "reject bin full" at this count (default 50,
	// the simulated robot's).
	RejectBinCapacity int
	// Poll is how often live pages are refreshed from the daemon (default
	// 500 ms, so an alert shows within a second).
	Poll   time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Errors of the screen's set-up.
var (
	ErrNotLoopback = localweb.ErrNotLoopback
	ErrBadPIN      = errors.New("the staff PIN must be 4 to 12 digits")
)

// Server is the screen's HTTP side.
type Server struct {
	cfg     Config
	pages   *template.Template
	catalog *catalog
	staff   *staffGate
	home    *staffGate // the home PIN, with the same lockout
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New checks the configuration and builds the pages.
func New(cfg Config) (*Server, error) {
	if cfg.Station == nil {
		return nil, errors.New("screen.New: no station")
	}
	if cfg.StaffPIN != "" && !validPIN(cfg.StaffPIN) {
		return nil, fmt.Errorf("screen.New: %w", ErrBadPIN)
	}
	if cfg.HomePIN != "" && !validPIN(cfg.HomePIN) {
		return nil, fmt.Errorf("screen.New: home PIN: %w", ErrBadPIN)
	}
	if cfg.RejectBinCapacity <= 0 {
		cfg.RejectBinCapacity = 50
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("screen.New: templates: %w", err)
	}
	return &Server{cfg: cfg, pages: t, catalog: newCatalog(cfg.TitlesDir), staff: newStaffGate(cfg.StaffPIN, cfg.Now), home: newStaffGate(cfg.HomePIN, cfg.Now)}, nil
}

// Handler is the screen's pages behind its guards: bounded bodies, strict
// security headers (no outside source of anything), and cross-site
// requests refused (net/http's CrossOriginProtection: a page elsewhere
// cannot make the kiosk's browser post a grant or a staff action here).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.catalogPage)
	mux.HandleFunc("GET /poster/{title}", s.poster)
	mux.HandleFunc("GET /title/{title}", s.titlePage)
	mux.HandleFunc("POST /title/{title}/copy", s.startCopy)
	mux.HandleFunc("POST /title/{title}/home", s.startHomeCopy)
	mux.HandleFunc("GET /copy/{job}", s.copyPage)
	mux.HandleFunc("GET /copy/{job}/events", s.copyEvents)
	mux.HandleFunc("GET /staff", s.staffPage)
	mux.HandleFunc("POST /staff/login", s.staffLogin)
	mux.HandleFunc("POST /staff/logout", s.staffLogout)
	mux.HandleFunc("GET /staff/events", s.staffEvents)
	mux.HandleFunc("POST /staff/cancel/{job}", s.staffCancel)
	mux.HandleFunc("POST /staff/tamper-clear", s.staffTamperClear)
	mux.HandleFunc("POST /staff/robot-reset", s.staffRobotReset)
	mux.HandleFunc("POST /scan", s.scanFrame)
	return localweb.GuardSized(mux, s.cfg.Logger, func(r *http.Request) int64 {
		if r.URL.Path == "/scan" {
			return qrscan.MaxPixel
		}
		return 0
	})
}

// Listen opens the screen's listener: a loopback TCP address or
// "unix:/path". Any other address is refused (ErrNotLoopback): the screen
// is for the kiosk's own browser, never the network.
func Listen(addr string) (net.Listener, error) { return localweb.Listen(addr) }

// Serve serves the screen on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	err := hs.Serve(ln)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) render(w http.ResponseWriter, code int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := s.pages.ExecuteTemplate(w, name, data); err != nil {
		s.cfg.Logger.Error("screen: render", "page", name, "err", err)
	}
}
