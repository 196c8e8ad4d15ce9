package contract

import "testing"

// TestTitleRecord: the rights holder's signed updates are kept in order,
// each with its signer, height and time; anyone else, an unknown title, an
// oversized field is refused and leaves the history as it was.
func TestTitleRecord(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.gov(w.issuer, TxUpdateRecord, UpdateRecordBody{Title: "film-1", Description: "A film", RightsHolder: "Studio", Contact: "takedown@studio.example"}))
	w.mustOK(w.gov(w.issuer, TxUpdateRecord, UpdateRecordBody{Title: "film-1", Description: "A film, restored", RightsHolder: "Studio Two", Contact: "legal@two.example"}))
	refusals := []struct {
		name string
		p    *party
		body UpdateRecordBody
		want Code
	}{
		{"by the operator", w.op, UpdateRecordBody{Title: "film-1", Description: "mine now"}, CodeNotIssuer},
		{"by a customer", w.customer, UpdateRecordBody{Title: "film-1"}, CodeNotIssuer},
		{"unknown title", w.issuer, UpdateRecordBody{Title: "nope"}, CodeUnknownTitle},
		{"description too long", w.issuer, UpdateRecordBody{Title: "film-1", Description: string(make([]byte, MaxDescriptionLen+1))}, CodeBadField},
		{"contact too long", w.issuer, UpdateRecordBody{Title: "film-1", Contact: string(make([]byte, MaxNameLen+1))}, CodeBadField},
	}
	for _, r := range refusals {
		if got := w.one(w.gov(r.p, TxUpdateRecord, r.body)); Code(got.Code) != r.want {
			t.Errorf("%s: code %d (%s), want %d", r.name, got.Code, got.Log, r.want)
		}
	}
	rec, err := w.app.Record("film-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Versions) != 2 || rec.Versions[0].RightsHolder != "Studio" || rec.Versions[1].Contact != "legal@two.example" ||
		rec.Versions[1].By != w.issuer.id || rec.Versions[1].Height <= rec.Versions[0].Height {
		t.Errorf("record = %+v, want both versions in order", rec)
	}
	if _, err := w.app.Record("film-2"); err == nil {
		t.Error("a title never updated has a record")
	}
}
