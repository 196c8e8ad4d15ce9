// Package metrics holds the station daemon's Prometheus metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"copystation/stationd/job"
)

// Metrics are the daemon's collectors, on their own registry so tests and
// several daemons in one process never collide.
type Metrics struct {
	Registry     *prometheus.Registry
	Jobs         *prometheus.GaugeVec     // jobs by state
	Transitions  *prometheus.CounterVec   // transitions by target state
	BytesWritten prometheus.Counter       // bytes written to discs
	WriteRate    *prometheus.GaugeVec     // bytes per second, by drive
	SenseErrors  *prometheus.CounterVec   // drive sense errors, by drive and kind
	NodeLatency  *prometheus.HistogramVec // ledger round trips, by operation
	DrivesFailed prometheus.Gauge         // configured drives out of service (not opened, or failed since)
	// NodesReachable counts the configured validation nodes that answered
	// the last probe; NodeReachable is each one's 1 or 0, by address.
	NodesReachable prometheus.Gauge
	NodeReachable  *prometheus.GaugeVec
	// DrivesReturned counts drives returned to service (re-probed, or
	// enabled by an operator).
	DrivesReturned prometheus.Counter
	// Draining is 1 while the station drains for an update (no new copy
	// starts), else 0.
	Draining prometheus.Gauge
	// RobotWait is the time each drive's jobs waited for the one robot
	// while it served other drives, by drive: a tower whose drives wait
	// here is paced by its robot, not by its host.
	RobotWait *prometheus.CounterVec
}

// New builds and registers the collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stationd_jobs", Help: "Copy jobs by state.",
		}, []string{"state"}),
		Transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stationd_job_transitions_total", Help: "Journaled job state transitions, by target state.",
		}, []string{"to"}),
		BytesWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stationd_bytes_written_total", Help: "Bytes written to discs.",
		}),
		WriteRate: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stationd_write_rate_bytes_per_second", Help: "Current write rate, by drive.",
		}, []string{"drive"}),
		SenseErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stationd_sense_errors_total", Help: "Drive sense errors (CHECK CONDITION) that stopped a burn, by drive and job state.",
		}, []string{"drive", "phase"}),
		NodeLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stationd_node_latency_seconds", Help: "Round trips to validation nodes, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}, []string{"op"}),
		DrivesFailed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stationd_drives_failed", Help: "Configured drives out of service (not opened, or failed in service); the station burns on the others.",
		}),
		NodesReachable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stationd_nodes_reachable", Help: "Configured validation nodes that answered the last probe; at 0, copies wait.",
		}),
		NodeReachable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stationd_node_reachable", Help: "1 if the validation node answered the last probe, else 0, by address.",
		}, []string{"address"}),
		DrivesReturned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stationd_drives_returned_total", Help: "Drives returned to service after a failure: re-probed clean, or enabled by an operator.",
		}),
		Draining: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stationd_draining", Help: "1 while the station drains for a software update: running jobs finish, no new copy starts.",
		}),
		RobotWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stationd_robot_wait_seconds_total", Help: "Time a drive's jobs waited for the disc robot while it moved discs for other drives, by drive.",
		}, []string{"drive"}),
	}
	m.Registry.MustRegister(m.Jobs, m.Transitions, m.BytesWritten, m.WriteRate, m.SenseErrors, m.NodeLatency, m.DrivesFailed,
		m.NodesReachable, m.NodeReachable, m.Draining, m.DrivesReturned, m.RobotWait,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	for _, s := range job.States {
		m.Jobs.WithLabelValues(string(s))
	}
	return m
}

// SetJobs replaces the jobs-by-state gauge from a full count.
func (m *Metrics) SetJobs(counts map[job.State]int) {
	for _, s := range job.States {
		m.Jobs.WithLabelValues(string(s)).Set(float64(counts[s]))
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
