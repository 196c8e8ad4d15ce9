package genesis

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"copystation/custody"
)

// TestReshareSessionExchange: the whole session between four parties that
// share only the exchange directory, each in its own goroutine: the group
// {a, b} → {b, c, d}, one title, then the record phase. Every party ends
// with the same last tx 26 part, which a station accepts against the
// unchanged group key (custody.AcceptEpoch), naming the new set.
func TestReshareSessionExchange(t *testing.T) {
	f := newGroupFixture(t)
	tf := newTitleFixture(t, f, 1)
	title, parties, order := tf.title, tf.parties, tf.order
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	party := func(p int) ([]byte, []byte, error) {
		res, err := ReshareGroup(ctx, f.input(p, dir))
		if err != nil {
			return nil, nil, err
		}
		out, err := ReshareTitle(ctx, tf.party(f, p, dir))
		if err != nil {
			return nil, nil, err
		}
		rr := RecordReshare{Parties: parties, Key: f.keys[p].Public(), NewOrder: order, NewNodes: f.session.NewNodes(),
			Exchange: dir, Poll: 10 * time.Millisecond}
		if res != nil {
			defer res.Share.Wipe()
			rr.Share = res.Share
			rr.Record = &custody.EpochRecord{ChainID: "net", Epoch: 1, Group: res.Group,
				Titles: []custody.EpochTitle{{TitleID: title.TitleID, Roots: out.Roots}}}
		}
		body, err := ReshareRecord(ctx, rr)
		if err != nil {
			return nil, nil, err
		}
		return body.Record, body.Sig, nil
	}
	recs, sigs, errs := make([][]byte, 4), make([][]byte, 4), make([]error, 4)
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[p], sigs[p], errs[p] = party(p)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("session = %v", err)
	}
	for p := 1; p < 4; p++ {
		if string(recs[p]) != string(recs[0]) || string(sigs[p]) != string(sigs[0]) {
			t.Errorf("party %d ended with another record or signature than party 0", p)
		}
	}
	var sig custody.Signature
	copy(sig[:], sigs[0])
	rec, err := custody.AcceptEpoch(f.oldGroup, "net", 0, recs[0], sig)
	if err != nil {
		t.Fatalf("AcceptEpoch(the session's record) = %v", err)
	}
	if rec.Epoch != 1 || rec.Group.N() != 3 || len(rec.Titles) != 1 {
		t.Errorf("record = epoch %d, %d nodes, %d titles; want 1, 3, 1", rec.Epoch, rec.Group.N(), len(rec.Titles))
	}
}

// FuzzDecodeEpochPartial: no record file panics or hangs; what decodes
// re-encodes to the same bytes.
func FuzzDecodeEpochPartial(f *testing.F) {
	f.Add(make([]byte, custody.PartialLen+1))
	f.Add([]byte{0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeEpochPartial(b)
		if err != nil {
			return
		}
		out, err := EncodeEpochPartial(p)
		if err != nil || string(out) != string(b) {
			t.Fatalf("EncodeEpochPartial(DecodeEpochPartial(b)) = %x, %v; want b", out, err)
		}
	})
}
