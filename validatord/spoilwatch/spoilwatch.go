// Package spoilwatch exports each station's spoiled-disc tally from the
// ledger as Prometheus metrics, with an alert when a station's spoil rate
// this period departs from its own history.
package spoilwatch

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"copystation/validatord/contract"
)

// Source is the ledger state the collector reads: *contract.App.
type Source interface {
	SpoilTallies() ([]contract.StationSpoils, error)
	Params() (*contract.Params, error)
}

// Rule decides when a station's spoil rate departs from its history. The
// period's rate is spoiled / (spoiled + made) reports this period; the
// history's is the same ratio over every earlier report. The alert fires
// when the period has at least MinSample reports and its rate is above
// both Factor × history and history + Margin. A station with fewer than
// MinHistory earlier reports is held to Baseline instead of its history.
type Rule struct {
	MinSample  uint32
	MinHistory uint64
	Baseline   float64
	Factor     float64
	Margin     float64
}

// DefaultRule is the rule docs/operators.md describes.
var DefaultRule = Rule{MinSample: 4, MinHistory: 20, Baseline: 0.05, Factor: 2, Margin: 0.10}

// Rates returns a tally's rate this period and its history's rate (the
// baseline when the history is short), given the current period index.
func (r Rule) Rates(sc contract.SpoilCount, period int64) (now, history float64, sample uint32) {
	spoiled, made := sc.Count, sc.PeriodMade
	if sc.Period != period { // nothing reported yet this period
		spoiled, made = 0, 0
	}
	sample = spoiled + made
	if sample > 0 {
		now = float64(spoiled) / float64(sample)
	}
	hs, hm := sc.Total-uint64(spoiled), sc.Made-uint64(made)
	history = r.Baseline
	if hs+hm >= r.MinHistory {
		history = float64(hs) / float64(hs+hm)
	}
	return now, history, sample
}

// Alert reports whether the tally's rate this period departs from its
// history under the rule.
func (r Rule) Alert(sc contract.SpoilCount, period int64) bool {
	now, history, sample := r.Rates(sc, period)
	return sample >= r.MinSample && now > r.Factor*history && now > history+r.Margin
}

// Collector is a prometheus.Collector over the ledger's committed tallies,
// read at each scrape.
type Collector struct {
	src  Source
	now  func() time.Time
	rule Rule
}

// New makes a collector; now is the clock that names the current period
// (time.Now if nil).
func New(src Source, now func() time.Time, rule Rule) *Collector {
	if now == nil {
		now = time.Now
	}
	return &Collector{src: src, now: now, rule: rule}
}

var (
	labels      = []string{"station"}
	descSpoiled = prometheus.NewDesc("copystation_station_spoiled_total", "Discs the station reported spoiled, ever (ledger).", labels, nil)
	descMade    = prometheus.NewDesc("copystation_station_made_total", "Discs the station reported made, ever (ledger).", labels, nil)
	descPeriod  = prometheus.NewDesc("copystation_station_spoiled_period", "Discs the station reported spoiled in the current spoil period.", labels, nil)
	descRate    = prometheus.NewDesc("copystation_station_spoil_rate", "Spoiled / reported discs: window=period is this period, window=history every earlier one (or the baseline for a short history).", []string{"station", "window"}, nil)
	descLimit   = prometheus.NewDesc("copystation_station_spoil_limit", "Retries after spoiled discs the station may have per period; -1 for no limit.", labels, nil)
	descAlert   = prometheus.NewDesc("copystation_station_spoil_alert", "1 when the station's spoil rate this period departs from its history (docs/operators.md).", labels, nil)
	descErr     = prometheus.NewDesc("copystation_spoilwatch_error", "1 when the ledger's tallies could not be read at this scrape.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSpoiled, descMade, descPeriod, descRate, descLimit, descAlert, descErr} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	tallies, period, err := c.read()
	ch <- prometheus.MustNewConstMetric(descErr, prometheus.GaugeValue, boolValue(err != nil))
	if err != nil {
		return
	}
	for _, s := range tallies {
		now, history, _ := c.rule.Rates(s.SpoilCount, period)
		inPeriod := float64(0)
		if s.Period == period {
			inPeriod = float64(s.Count)
		}
		limit := float64(-1)
		if s.LimitSet {
			limit = float64(s.Limit)
		}
		ch <- prometheus.MustNewConstMetric(descSpoiled, prometheus.CounterValue, float64(s.Total), s.Station)
		ch <- prometheus.MustNewConstMetric(descMade, prometheus.CounterValue, float64(s.Made), s.Station)
		ch <- prometheus.MustNewConstMetric(descPeriod, prometheus.GaugeValue, inPeriod, s.Station)
		ch <- prometheus.MustNewConstMetric(descRate, prometheus.GaugeValue, now, s.Station, "period")
		ch <- prometheus.MustNewConstMetric(descRate, prometheus.GaugeValue, history, s.Station, "history")
		ch <- prometheus.MustNewConstMetric(descLimit, prometheus.GaugeValue, limit, s.Station)
		ch <- prometheus.MustNewConstMetric(descAlert, prometheus.GaugeValue, boolValue(c.rule.Alert(s.SpoilCount, period)), s.Station)
	}
}

func (c *Collector) read() ([]contract.StationSpoils, int64, error) {
	p, err := c.src.Params()
	if err != nil {
		return nil, 0, fmt.Errorf("spoilwatch: %w", err)
	}
	t, err := c.src.SpoilTallies()
	if err != nil {
		return nil, 0, fmt.Errorf("spoilwatch: %w", err)
	}
	return t, c.now().Unix() / p.SpoilPeriodSeconds(), nil
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
