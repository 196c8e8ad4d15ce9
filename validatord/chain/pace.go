package chain

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// A node's stores flush their memtables and compact their tables in the
// background, and every few hundred heights the contract writes a
// snapshot. Unpaced, each is a burst that takes a whole core for 50 to
// 300 ms (a snapshot of a long history, longer); a validator on a small
// machine, or four sharing two cores, then has that much less for
// consensus, and the heights it spans took two to three times as long
// (docs/benchmarks.md, issue 17, twentieth session).
// The pacer spreads that work: each table file written and each snapshot
// record read costs its bytes at a node's background rate, the writer
// sleeping when it runs ahead, as RocksDB's rate limiter does for its
// flushes and compactions. Foreground work is never paced: pebble's WAL,
// the block and state writes CometBFT waits for.
//
// Pacing steps aside whenever waiting would cost more than the burst:
// while a store opens (its WAL replayed, before the node runs), while a
// store's writes are stalled behind its background work (pebble's
// write-stall events), while a store's level 0 is as deep as the depth at
// which pebble wants it compacted (it is not keeping up), and once the
// node is stopping (a store's Close waits for its compactions).

// DefaultBackgroundMiBs is a node's background rate, MiB a second, unless
// node.json's background_mib_s says otherwise: about eight times the
// tables a node's stores wrote at 2,000 spends a second
// (docs/benchmarks.md). A store whose compactions need more falls behind
// and is then unpaced until it catches up.
const DefaultBackgroundMiBs = 16

// paceBurst is how far a pacer lets its writers run ahead of its rate, in
// time, before they wait: a small flush passes unpaced.
const paceBurst = 20 * time.Millisecond

// behindEvery is how often a paced store rereads how deep its level 0 is.
const behindEvery = 100 * time.Millisecond

// pacer meters one node's background bytes at rate bytes a second.
type pacer struct {
	rate    float64             // bytes a second, above 0 (newPacer)
	sleep   func(time.Duration) // time.Sleep; a test's recorder
	stopped atomic.Bool

	mu   sync.Mutex
	next time.Time // when the bytes metered so far are paid for
}

// newPacer returns a pacer of mibs MiB a second (nil: unpaced).
func newPacer(mibs int64) *pacer {
	if mibs <= 0 {
		return nil
	}
	return &pacer{rate: float64(mibs) * (1 << 20), sleep: time.Sleep}
}

// wait meters n bytes of background work and sleeps while the work done
// is ahead of the rate by more than paceBurst.
func (p *pacer) wait(n int) {
	if p == nil || n <= 0 || p.stopped.Load() {
		return
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now.Add(-paceBurst)) {
		p.next = now.Add(-paceBurst) // idle time is not saved up beyond the burst
	}
	p.next = p.next.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	d := p.next.Sub(now)
	p.mu.Unlock()
	if d > 0 {
		p.sleep(d)
	}
}

// stop makes every later wait return at once: the node is stopping.
func (p *pacer) stop() {
	if p != nil {
		p.stopped.Store(true)
	}
}

// pacedStore is one pebble store's side of its node's pacer.
type pacedStore struct {
	p       *pacer
	l0      int32 // level-0 sublevels at which the store is behind
	db      atomic.Pointer[pebble.DB]
	stalls  atomic.Int32 // write stalls in progress
	behind  atomic.Bool
	checked atomic.Int64 // unix nanoseconds of the last depth check
}

// pace sets o up so that o's store's table writes are paced by p: its file
// system and its write-stall events. The returned store must be given its
// handle by opened (before that, nothing is paced). With p nil, o is
// unchanged and the result nil.
func pace(o *pebble.Options, p *pacer) *pacedStore {
	if p == nil {
		return nil
	}
	s := &pacedStore{p: p, l0: int32(o.L0CompactionThreshold)}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	o.FS = pacedFS{FS: o.FS, s: s}
	var l pebble.EventListener
	if o.EventListener != nil {
		l = *o.EventListener
	}
	begin, end := l.WriteStallBegin, l.WriteStallEnd
	l.WriteStallBegin = func(i pebble.WriteStallBeginInfo) {
		s.stalls.Add(1)
		if begin != nil {
			begin(i)
		}
	}
	l.WriteStallEnd = func() {
		s.stalls.Add(-1)
		if end != nil {
			end()
		}
	}
	o.EventListener = &l
	return s
}

// opened gives the store's handle, for the depth of its level 0.
func (s *pacedStore) opened(db *pebble.DB) {
	if s != nil {
		s.db.Store(db)
	}
}

// urgent says whether the store's background work must not wait.
func (s *pacedStore) urgent() bool {
	if s.stalls.Load() > 0 {
		return true
	}
	db := s.db.Load()
	if db == nil {
		return true // still opening: replaying its WAL, before the node runs
	}
	// One writer a period rereads the depth; the others use the last.
	now, last := time.Now().UnixNano(), s.checked.Load()
	if now-last >= int64(behindEvery) && s.checked.CompareAndSwap(last, now) {
		// Table writes run with pebble's own lock released, so reading its
		// metrics here cannot deadlock.
		s.behind.Store(db.Metrics().Levels[0].Sublevels >= s.l0)
	}
	return s.behind.Load()
}

// wait meters n bytes the store wrote in the background.
func (s *pacedStore) wait(n int) {
	if !s.urgent() {
		s.p.wait(n)
	}
}

// pacedFS paces the writes of the table files (.sst) a store creates:
// what flushes and compactions write. Its WAL, manifest and options files
// are created unpaced.
type pacedFS struct {
	vfs.FS
	s *pacedStore
}

func (f pacedFS) Create(name string) (vfs.File, error) {
	file, err := f.FS.Create(name)
	if err != nil || !strings.HasSuffix(name, ".sst") {
		return file, err
	}
	return pacedFile{File: file, s: f.s}, nil
}

type pacedFile struct {
	vfs.File
	s *pacedStore
}

func (f pacedFile) Write(b []byte) (int, error) {
	n, err := f.File.Write(b)
	f.s.wait(n)
	return n, err
}
