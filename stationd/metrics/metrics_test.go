package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"copystation/stationd/job"
)

func TestHandlerServesEveryMetric(t *testing.T) {
	m := New()
	m.SetJobs(map[job.State]int{job.Writing: 2})
	m.BytesWritten.Add(4096)
	m.WriteRate.WithLabelValues("0").Set(1e6)
	m.SenseErrors.WithLabelValues("0", "writing").Inc()
	m.NodeLatency.WithLabelValues("authorize").Observe(0.2)
	m.RobotWait.WithLabelValues("1").Add(2.5)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`stationd_jobs{state="writing"} 2`,
		`stationd_jobs{state="done"} 0`,
		`stationd_bytes_written_total 4096`,
		`stationd_write_rate_bytes_per_second{drive="0"} 1e+06`,
		`stationd_sense_errors_total{drive="0",phase="writing"} 1`,
		`stationd_node_latency_seconds_count{op="authorize"} 1`,
		`stationd_robot_wait_seconds_total{drive="1"} 2.5`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics page lacks %q", want)
		}
	}
}
