package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"copystation/protocol"
)

// Spoils are a budget the network watches. Every spoiled report lets the
// station ask for the same copy's keys again, so a station that claims
// spoils for discs it kept gets extra copies from one token. The contract
// counts each station's spoiled reports per period (block time divided by
// Params.SpoilPeriod) and in total, in the agreed state; an operator sets a
// station's limit per period (TxSetSpoilLimit), and a retry past it is
// refused with CodeSpoilBudget. The report itself is always recorded: the
// ledger must know of every spoiled disc, whatever the budget.

// DefaultSpoilPeriod is the period spoils are counted over when the genesis
// sets none: one day.
const DefaultSpoilPeriod int64 = 86400

// SpoilCount is a station's spoiled-disc tally (state key q/<station>).
type SpoilCount struct {
	Period int64  `json:"period"` // index of the current period: block time / period length
	Count  uint32 `json:"count"`  // spoiled reports in that period
	Total  uint64 `json:"total"`  // spoiled reports ever
	Made   uint64 `json:"made"`   // made reports ever, for the long-run rate
	// PeriodMade is the made reports in Period, for the period's rate.
	PeriodMade uint32 `json:"period_made"`
}

// SpoilLimit is an operator's limit for one station (state key l/<station>):
// at most Limit retries after spoiled discs per period.
type SpoilLimit struct {
	Limit  uint32 `json:"limit"`
	SetBy  string `json:"set_by"`
	Height int64  `json:"height"`
}

// SetSpoilLimitBody is TxSetSpoilLimit's body.
type SetSpoilLimitBody struct {
	Station string `json:"station"`
	Limit   uint32 `json:"limit"`
}

func keySpoils(station string) string { return "q/" + station }
func keySpoilLimit(station string) string {
	return "l/" + station
}

func (p *Params) spoilPeriod() int64 {
	if p.SpoilPeriod > 0 {
		return p.SpoilPeriod
	}
	return DefaultSpoilPeriod
}

// spoilCount reads a station's tally as of block time now, rolling it into
// the current period.
func spoilCount(v *view, station string, p *Params, now int64) (*SpoilCount, error) {
	var sc SpoilCount
	if _, err := v.getJSON(keySpoils(station), &sc); err != nil {
		return nil, err
	}
	if per := now / p.spoilPeriod(); sc.Period != per {
		sc.Period, sc.Count, sc.PeriodMade = per, 0, 0
	}
	return &sc, nil
}

// countReport adds a first report of an attempt to the station's tally.
func (e *execEnv) countReport(v *view, station, outcome string) error {
	p, err := e.params(v)
	if err != nil {
		return err
	}
	sc, err := spoilCount(v, station, p, e.time)
	if err != nil {
		return err
	}
	if outcome == OutcomeSpoiled {
		sc.Count++
		sc.Total++
	} else {
		sc.Made++
		sc.PeriodMade++
	}
	return v.putJSON(keySpoils(station), sc)
}

// checkSpoilBudget refuses a retry when the station's spoils this period
// exceed its limit (the station's own, else the genesis default; none set:
// no limit).
func (e *execEnv) checkSpoilBudget(v *view, station string, p *Params) (*refusal, error) {
	limit, set := p.SpoilLimit, p.SpoilLimit > 0
	var sl SpoilLimit
	found, err := v.getJSON(keySpoilLimit(station), &sl)
	if err != nil {
		return nil, err
	}
	if found {
		limit, set = sl.Limit, true
	}
	if !set {
		return nil, nil
	}
	sc, err := spoilCount(v, station, p, e.time)
	if err != nil {
		return nil, err
	}
	if sc.Count > limit {
		return refuse(CodeSpoilBudget, "station %s has reported %d spoiled discs this period (%d s), its limit is %d retries", station, sc.Count, p.spoilPeriod(), limit), nil
	}
	return nil, nil
}

// StationSpoils is one station's tally and limit, as SpoilTallies lists
// them.
type StationSpoils struct {
	Station string
	SpoilCount
	Limit    uint32
	LimitSet bool // false: no limit (neither the station's nor a default)
}

// SpoilTallies lists every station that has reported a disc, with its
// committed tally and effective limit, for monitoring.
func (a *App) SpoilTallies() ([]StationSpoils, error) {
	p, err := a.Params()
	if err != nil {
		return nil, fmt.Errorf("contract.SpoilTallies: %w", err)
	}
	it, err := a.db.Iterator([]byte("q/"), []byte("q0")) // '0' follows '/'
	if err != nil {
		return nil, fmt.Errorf("contract.SpoilTallies: %w", err)
	}
	defer it.Close()
	var out []StationSpoils
	for ; it.Valid(); it.Next() {
		s := StationSpoils{Station: strings.TrimPrefix(string(it.Key()), "q/"), Limit: p.SpoilLimit, LimitSet: p.SpoilLimit > 0}
		if err := json.Unmarshal(it.Value(), &s.SpoilCount); err != nil {
			return nil, fmt.Errorf("contract.SpoilTallies: %s: %w", s.Station, err)
		}
		var sl SpoilLimit
		if err := a.committed(keySpoilLimit(s.Station), &sl); err == nil {
			s.Limit, s.LimitSet = sl.Limit, true
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		out = append(out, s)
	}
	return out, it.Error()
}

// SpoilPeriodSeconds is the length of a spoil period in seconds.
func (p *Params) SpoilPeriodSeconds() int64 { return p.spoilPeriod() }

func (e *execEnv) setSpoilLimit(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b SetSpoilLimitBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if b.Limit > 10000 {
		return refuse(CodeBadField, "limit %d, at most 10000", b.Limit), nil
	}
	if p, err := v.get(keyStation(b.Station)); err != nil || p == nil {
		return refuse(CodeUnknownStation, "station %q", b.Station), err
	}
	return nil, v.putJSON(keySpoilLimit(b.Station), SpoilLimit{Limit: b.Limit, SetBy: protocol.KeyID(t.Signer), Height: e.height})
}
