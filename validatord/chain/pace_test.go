package chain

import (
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	cfg "github.com/cometbft/cometbft/config"

	"copystation/validatord/contract"
)

// sleeps records the sleeps a pacer asks for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *sleeps) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

func (s *sleeps) last() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.d) == 0 {
		return 0
	}
	return s.d[len(s.d)-1]
}

func recordingPacer(mibs int64) (*pacer, *sleeps) {
	p, s := newPacer(mibs), &sleeps{}
	p.sleep = s.sleep
	return p, s
}

// TestPacerRate: a pacer lets its writers run paceBurst ahead of its rate
// and no further: 2 MiB metered at once at 1 MiB a second ends with a
// sleep of 2 s less the burst. A stopped pacer, and an unpaced node's
// (nil), never sleep.
func TestPacerRate(t *testing.T) {
	p, s := recordingPacer(1)
	p.wait(8 << 10) // 7.8 ms of work: within the burst
	if s.count() != 0 {
		t.Fatalf("8 KiB at 1 MiB/s slept %v; the first %v are free", s.d, paceBurst)
	}
	for range 31 {
		p.wait(64 << 10)
	}
	p.wait(56 << 10)
	want := 2*time.Second - paceBurst
	if got := s.last(); got > want || got < want-50*time.Millisecond {
		t.Fatalf("after 2 MiB at 1 MiB/s the last sleep was %v, want about %v", got, want)
	}
	n := s.count()
	p.stop()
	p.wait(1 << 20)
	if s.count() != n {
		t.Fatalf("a stopped pacer slept %v", s.last())
	}
	if newPacer(0) != nil {
		t.Fatal("background_mib_s 0 made a pacer")
	}
	var none *pacer
	none.wait(1 << 30) // an unpaced node: returns at once
	none.stop()
}

// TestPacedStoreTablesOnly: a node's store opened through its provider
// paces what a flush writes (its table files), never its WAL, which every
// write waits for.
func TestPacedStoreTablesOnly(t *testing.T) {
	c := cfg.DefaultConfig()
	c.SetRoot(t.TempDir())
	c.DBBackend = string(dbm.PebbleDBBackend)
	p, s := recordingPacer(1)
	db, err := guardedProvider(nil, 4<<20, p)(&cfg.DBContext{ID: "contract", Config: c})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, 4<<10)
	for i := range 256 { // 1 MiB through the WAL
		rand.Read(value)
		if err := db.SetSync(fmt.Appendf(nil, "k/%04d", i), value); err != nil {
			t.Fatal(err)
		}
	}
	if s.count() != 0 {
		t.Fatalf("writes to the WAL slept %v", s.d)
	}
	if err := pebbleOf(t, db).Flush(); err != nil {
		t.Fatal(err)
	}
	// 1 MiB of random values is a table of about 1 MiB: 1 s at 1 MiB/s.
	if got := s.last(); got < 500*time.Millisecond {
		t.Fatalf("flushing 1 MiB at 1 MiB/s: last sleep %v (%d sleeps), want the flush paced", got, s.count())
	}
}

// TestPacedStoreStepsAside: pacing stops while the store opens (its WAL
// replayed), while pebble reports a write stall (foreground writes wait
// on the background work) and while level 0 is as deep as the depth at
// which pebble wants it compacted.
func TestPacedStoreStepsAside(t *testing.T) {
	p, s := recordingPacer(1)
	o := contract.PebbleOptions(nil)
	o.DisableAutomaticCompactions = true // level 0 only grows
	ps := pace(o, p)
	ps.wait(1 << 20) // opening (a WAL replay's flushes): not paced
	if s.count() != 0 {
		t.Fatalf("a store not yet open slept %v", s.d)
	}
	db, err := pebble.Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ps.opened(db)

	// A write stall, from pebble's events as the store's options carry them.
	o.EventListener.WriteStallBegin(pebble.WriteStallBeginInfo{Reason: "memtable count limit reached"})
	ps.wait(1 << 20)
	if s.count() != 0 {
		t.Fatalf("during a write stall the store slept %v", s.d)
	}
	o.EventListener.WriteStallEnd()
	ps.wait(1 << 20)
	if s.count() != 1 {
		t.Fatalf("after the stall ended, 1 MiB at 1 MiB/s slept %v, want one sleep", s.d)
	}
	value := make([]byte, 64<<10)
	flush := func() int {
		t.Helper()
		for i := range 4 { // the same keys each round: every table overlaps the last
			rand.Read(value)
			if err := db.Set(fmt.Appendf(nil, "k/%d", i), value, pebble.NoSync); err != nil {
				t.Fatal(err)
			}
		}
		ps.checked.Store(0) // reread the depth at the next write
		n := s.count()
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
		return s.count() - n
	}
	for round := range o.L0CompactionThreshold {
		if flush() == 0 {
			t.Fatalf("flush %d (level 0 %d deep) was not paced", round, db.Metrics().Levels[0].Sublevels)
		}
	}
	if got := db.Metrics().Levels[0].Sublevels; got < int32(o.L0CompactionThreshold) {
		t.Fatalf("level 0 is %d sublevels deep after %d flushes", got, o.L0CompactionThreshold)
	}
	if n := flush(); n != 0 {
		t.Fatalf("with level 0 %d deep, a flush slept %d times", o.L0CompactionThreshold, n)
	}
}
