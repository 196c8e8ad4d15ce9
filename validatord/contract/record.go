package contract

import "copystation/protocol"

// TxUpdateRecord: a title's rights holder (its issuer) updates the title's
// public record. Numbered apart from the others, like the tracing ones.
const TxUpdateRecord TxType = 22

// Bounds of the owner's record.
const (
	MaxDescriptionLen = 2048
	MaxRecordVersions = 256
)

func keyRecord(title string) string { return "w/" + title }

// UpdateRecordBody is TxUpdateRecord's body: the record's new content,
// replacing the whole of the current version.
type UpdateRecordBody struct {
	Title        string `json:"title"`
	Description  string `json:"description"`
	RightsHolder string `json:"rights_holder"`
	// Contact is where takedown notices go (an address or URL).
	Contact string `json:"contact"`
}

// RecordVersion is one version of a title's public record: its content,
// who signed it, and when.
type RecordVersion struct {
	Description  string `json:"description"`
	RightsHolder string `json:"rights_holder"`
	Contact      string `json:"contact"`
	By           string `json:"by"` // KeyID of the signer
	Height       int64  `json:"height"`
	Time         int64  `json:"time"`
}

// TitleRecord is a title's public record with its whole history, oldest
// first; the last version is the current one.
type TitleRecord struct {
	Title    string          `json:"title"`
	Versions []RecordVersion `json:"versions"`
}

func (e *execEnv) updateRecord(v *view, t *Tx) (*refusal, error) {
	var b UpdateRecordBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	var ti Title
	if found, err := v.getJSON(keyTitle(b.Title), &ti); err != nil || !found {
		return refuse(CodeUnknownTitle, "title %q", b.Title), err
	}
	signer := protocol.KeyID(t.Signer)
	if signer != ti.Issuer {
		return refuse(CodeNotIssuer, "only title %s's rights holder (its issuer %s) updates its record", ti.ID, ti.Issuer), nil
	}
	for _, f := range []struct {
		what, s string
		max     int
	}{{"description", b.Description, MaxDescriptionLen}, {"rights holder", b.RightsHolder, MaxNameLen}, {"contact", b.Contact, MaxNameLen}} {
		if r := checkText(f.what, f.s, f.max); r != nil {
			return r, nil
		}
	}
	rec := TitleRecord{Title: ti.ID}
	if _, err := v.getJSON(keyRecord(ti.ID), &rec); err != nil {
		return nil, err
	}
	if len(rec.Versions) >= MaxRecordVersions {
		return refuse(CodeBadField, "title %s's record has %d versions, the limit", ti.ID, MaxRecordVersions), nil
	}
	rec.Versions = append(rec.Versions, RecordVersion{Description: b.Description, RightsHolder: b.RightsHolder, Contact: b.Contact,
		By: signer, Height: e.height, Time: e.time})
	return nil, v.putJSON(keyRecord(ti.ID), rec)
}

// Record returns a title's public record and its history.
func (a *App) Record(title string) (*TitleRecord, error) {
	var r TitleRecord
	return &r, wrapQuery("record", title, a.committed(keyRecord(title), &r))
}
