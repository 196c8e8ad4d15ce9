package screen

import (
	"context"
	"html/template"
	"net/http"
	"time"
)

var funcs = template.FuncMap{}

// stationID is the station's ID for a page, or "" when the daemon does not
// answer within a second.
func stationID(r *http.Request, st Station) string {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	s, err := st.Status(ctx)
	if err != nil {
		return ""
	}
	return s.StationID
}
