package simstation

import (
	"context"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/metrics"
	"copystation/stationd/notify"
)

// TestStationStartsWithNoNodeReachable is issue 16's "a station that
// reaches no validation node starts": with its only node's gateway down,
// the station sends READY=1 and serves; its status, STATUS= line and
// metrics say the node is unreachable; a copy asked for waits, saying why,
// with its token unspent; once the gateway is back the same daemon, not
// restarted, makes the copy and shows the node reachable.
func TestStationStartsWithNoNodeReachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 1<<20, 3)
	if err := nw.Mint(ctx, "tok", "film", keys.Signing); err != nil {
		t.Fatal(err)
	}
	if err := nw.StopGateway(); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	m := metrics.New()
	st, err := Start(ctx, keys, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw),
		Notifier: notify.New(sock), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	ready := readNotify(t, ln, "READY=1")
	if !strings.Contains(ready, "0 of 1 validation nodes reachable") {
		t.Errorf("READY message = %q, want it to say no node is reachable", ready)
	}
	s := waitStatus(t, st.Client, func(s *api.Status) bool { return len(s.Nodes) == 1 && !s.Nodes[0].Checked.IsZero() })
	if !s.Ready || s.NodesReachable != 0 || s.Nodes[0].Reachable || s.Nodes[0].Error == "" {
		t.Errorf("status = ready %v, nodes %+v; want ready, the node unreachable with its error", s.Ready, s.Nodes)
	}
	if got := scrape(m); !strings.Contains(got, "\nstationd_nodes_reachable 0\n") || !strings.Contains(got, `stationd_node_reachable{address="`+nw.Addr+`"} 0`) {
		t.Errorf("metrics do not show the node unreachable:\n%s", grepLines(got, "stationd_node"))
	}
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatalf("Burn with no node reachable = %v, want the job queued", err)
	}
	held := waitJobWith(t, st.Client, j.ID, func(j *api.Job) bool { return j.Progress != nil && j.Progress.Waiting != "" })
	if held.State.Terminal() || held.State.Spent() && held.State != job.Authorising {
		t.Errorf("held job = %s, want it waiting to be authorised", held.State)
	}
	t.Logf("held in %s: %s", held.State, held.Progress.Waiting)
	if !strings.Contains(held.Progress.Waiting, "node") {
		t.Errorf("held job says %q, want it to name the unreachable node(s)", held.Progress.Waiting)
	}
	if tok, err := nw.Token("tok"); err != nil || tok.Job != "" {
		t.Errorf("token while no node answers = %+v (%v), want unspent", tok, err)
	}
	if err := nw.StartGateway(); err != nil {
		t.Fatal(err)
	}
	if done := waitJob(t, st.Client, j.ID, 2*time.Minute); done.State != job.Done {
		t.Fatalf("job after the node came back = %s (%s), want done", done.State, done.Reason)
	}
	s = waitStatus(t, st.Client, func(s *api.Status) bool { return s.NodesReachable == 1 })
	if !s.Nodes[0].Reachable {
		t.Errorf("status nodes = %+v, want the node reachable", s.Nodes)
	}
	if got := scrape(m); !strings.Contains(got, "\nstationd_nodes_reachable 1\n") {
		t.Errorf("metrics do not show the node reachable again:\n%s", grepLines(got, "stationd_node"))
	}
}

// readNotify reads service manager messages until one holds want.
func readNotify(t *testing.T, ln *net.UnixConn, want string) string {
	t.Helper()
	buf := make([]byte, 4096)
	ln.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("no %s from the daemon: %v", want, err)
		}
		if msg := string(buf[:n]); strings.Contains(msg, want) {
			return msg
		}
	}
}

func waitStatus(t *testing.T, c *api.Client, ok func(*api.Status) bool) *api.Status {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s, err := c.Status(context.Background())
		if err == nil && ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v (%v) after a minute, not the one awaited", s, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitJobWith(t *testing.T, c *api.Client, id string, ok func(*api.Job) bool) *api.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := c.Job(context.Background(), id)
		if err != nil {
			t.Fatalf("Job(%s) = %v", id, err)
		}
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s = %+v after a minute, not the state awaited", id, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scrape(m *metrics.Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
