package accuse

import (
	"testing"

	"copystation/custody"
	"copystation/tracing/tardos"
)

// BenchmarkCodeword is the per-copy cost of a trace before scoring:
// verifying the opened σ_copy (a pairing check) and deriving the Tardos
// codeword of a C = 4 title (3,637 positions). Scoring itself is
// tardos.BenchmarkScore100k.
func BenchmarkCodeword(b *testing.B) {
	nodes := network(b, 4, 3)
	g := nodes[0].Group
	title := Title{ChainID: "chain-1", ID: "film-1", Params: tardos.Params{N: 10000, C: 4, Eps1: 1e-6}}
	code, _ := title.Params.Code()
	title.Segments = code.M
	label, _ := custody.TracingLabel(title.ChainID, title.ID)
	title.Sigma = open(b, nodes, label)
	bs, _, err := Biases(g, title)
	if err != nil {
		b.Fatal(err)
	}
	c := Copy{JobID: "job-1", TokenID: "tok-1", StationKeyID: "station-a"}
	l, _ := custody.CopyRecord{ChainID: title.ChainID, TitleID: title.ID, JobID: c.JobID, TokenID: c.TokenID, StationKeyID: c.StationKeyID}.Label()
	c.Sigma = open(b, nodes, l)
	for b.Loop() {
		if _, err := Codeword(g, title, bs, c); err != nil {
			b.Fatal(err)
		}
	}
}
