package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"copystation/stationd/job"
)

// BenchmarkTransition measures one durable transition (a transaction with
// synchronous=FULL: the journal's cost per job step).
func BenchmarkTransition(b *testing.B) {
	for _, name := range []string{"sqlite", "mem"} {
		b.Run(name, func(b *testing.B) {
			var s Store = NewMem(nil)
			if name == "sqlite" {
				sq, err := OpenSQLite(filepath.Join(b.TempDir(), "j.db"), nil)
				if err != nil {
					b.Fatal(err)
				}
				defer sq.Close()
				s = sq
			}
			ctx := context.Background()
			path := []job.State{job.Queued, job.MediaCheck, job.Authorising, job.Authorised, job.Writing,
				job.Verifying, job.Finalising, job.Reporting, job.Done}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprint(i)
				if i%8 == 0 {
					s.Create(ctx, job.Job{ID: id})
				}
				k := i % 8
				jid := fmt.Sprint(i - k)
				if _, err := s.Transition(ctx, jid, path[k], path[k+1], "", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
