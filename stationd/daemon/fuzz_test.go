package daemon

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"copystation/stationd/api"
)

// FuzzBurnRequest feeds arbitrary bodies to the API's request decoder and
// checks: no panic, and anything accepted passes CheckBurn.
func FuzzBurnRequest(f *testing.F) {
	f.Add([]byte(`{"title_id":"film","token_id":"tok"}`))
	f.Add([]byte(`{"title_id":"film","token_id":"tok","grant":"AAEC"}`))
	f.Add([]byte(`{"title_id":"../etc","token_id":"x"}`))
	f.Add([]byte(`{"title_id":"a","token_id":"b"} {"x":1}`))
	f.Add([]byte(`{"title_id":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", api.PathJobs, bytes.NewReader(body))
		var b api.BurnRequest
		if err := decode(r, &b); err != nil {
			return
		}
		if err := CheckBurn(&b); err == nil {
			if !idPattern.MatchString(b.TitleID) || !idPattern.MatchString(b.TokenID) || len(b.Grant) > 4096 {
				t.Errorf("CheckBurn accepted %+v", b)
			}
		}
	})
}
