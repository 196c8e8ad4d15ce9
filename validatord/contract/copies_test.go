package contract

import "testing"

// TestCopiesByToken: a token's copies are the job that spent it, read from
// the token record (no index key per spend): none for an unknown or
// unspent token or a limit of 0, the job's copy once spent, also after a
// spoil and its retry under the same job; by station, the index lists it.
func TestCopiesByToken(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	for _, tc := range []struct {
		name  string
		by    string
		id    string
		limit int
		want  []string
	}{
		{"unknown token", "token", "tok-none", 10, nil},
		{"unspent token", "token", "tok-c", 10, nil},
		{"spent token", "token", "tok-a", 10, []string{"job-1"}},
		{"limit 0", "token", "tok-a", 0, nil},
		{"station", "station", w.stA.id, 10, []string{"job-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := w.app.Copies(tc.by, tc.id, tc.limit)
			if err != nil {
				t.Fatalf("Copies(%s, %s) = %v", tc.by, tc.id, err)
			}
			var got []string
			for _, c := range list {
				got = append(got, c.JobID)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("Copies(%s, %s, %d) = %v, want %v", tc.by, tc.id, tc.limit, got, tc.want)
			}
		})
	}
}
