package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/job"
)

func cmdClient(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stationd "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", "/run/stationd/stationd.sock", "the daemon's API socket")
	asJSON := fs.Bool("json", false, "print JSON")
	// Each command lists only its own flags in its --help.
	var title, token, authz, code string
	var watch, active bool
	switch cmd {
	case "burn":
		fs.StringVar(&title, "title", "", "the title ID")
		fs.StringVar(&token, "token", "", "the copy token ID")
		fs.StringVar(&authz, "authorization", "", "a file holding the customer's signed authorisation")
		fs.BoolVar(&watch, "watch", false, "follow the job until it ends")
	case "jobs":
		fs.BoolVar(&active, "active", false, "only jobs not yet done or failed")
	case "tamper-clear":
		fs.StringVar(&code, "code", "", "the station's clear code")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c := api.NewClient(*socket)
	out := printer{w: stdout, json: *asJSON}
	var err error
	switch cmd {
	case "status":
		var s *api.Status
		if s, err = c.Status(ctx); err == nil {
			out.status(s)
		}
	case "jobs":
		var js []api.Job
		if js, err = c.Jobs(ctx, active); err == nil {
			out.jobs(js)
		}
	case "burn":
		err = burn(ctx, c, out, title, token, authz, watch)
	case "watch", "cancel":
		if fs.NArg() != 1 {
			fmt.Fprintf(stderr, "stationd %s: give one job ID\n", cmd)
			return 2
		}
		if cmd == "watch" {
			err = follow(ctx, c, out, fs.Arg(0))
		} else {
			var j *api.Job
			if j, err = c.Cancel(ctx, fs.Arg(0)); err == nil {
				out.job(j)
			}
		}
	case "tamper-clear":
		err = c.ClearTamper(ctx, code)
	}
	if err != nil {
		fmt.Fprintf(stderr, "stationd %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func burn(ctx context.Context, c *api.Client, out printer, title, token, authz string, watch bool) error {
	if title == "" || token == "" {
		return errors.New("give --title and --token")
	}
	req := api.BurnRequest{TitleID: title, TokenID: token}
	if authz != "" {
		b, err := os.ReadFile(authz)
		if err != nil {
			return fmt.Errorf("--authorization: %w", err)
		}
		req.Grant = b
	}
	j, err := c.Burn(ctx, req)
	if err != nil {
		return err
	}
	if watch {
		return follow(ctx, c, out, j.ID)
	}
	out.job(j)
	return nil
}

// follow polls a job until it ends, drawing a progress bar (or printing
// one JSON line per change).
func follow(ctx context.Context, c *api.Client, out printer, id string) error {
	var j *api.Job
	var err error
	if out.json {
		j, err = followJSON(ctx, c, out.w, id)
	} else {
		j, err = watchJob(ctx, c, id, out.w)
		if err == nil {
			out.job(j)
		}
	}
	if err != nil {
		return err
	}
	if j.State == job.Failed {
		return fmt.Errorf("job %s failed: %s", j.ID, j.Reason)
	}
	return nil
}

func followJSON(ctx context.Context, c *api.Client, w io.Writer, id string) (*api.Job, error) {
	last := ""
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if line := progressLine(j); line != last {
			json.NewEncoder(w).Encode(j)
			last = line
		}
		if j.State.Terminal() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// progressLine renders "[#####.....]  45%  writing  120.3 MB/s  ETA 1m20s".
func progressLine(j *api.Job) string {
	p := j.Progress
	if p != nil && p.Waiting != "" {
		return fmt.Sprintf("job %s  %s, waiting: %s", j.ID, j.State, p.Waiting)
	}
	if p == nil || p.Total == 0 {
		if p != nil && p.Phase != string(j.State) {
			return fmt.Sprintf("job %s  %s (%s)", j.ID, j.State, p.Phase)
		}
		return fmt.Sprintf("job %s  %s", j.ID, j.State)
	}
	frac := float64(p.Done) / float64(p.Total)
	frac = max(0, min(1, frac))
	if p.Phase != string(j.State) {
		// A step within the job's state (the title package checked before
		// writing): its percent is the step's own, not the burn's, so no
		// bar that reads as the copy's progress.
		return fmt.Sprintf("job %s  %s: %s %3.0f%%", j.ID, j.State, stepName(p.Phase), frac*100)
	}
	const width = 30
	n := int(frac * width)
	bar := strings.Repeat("#", n) + strings.Repeat(".", width-n)
	rate, eta := "     -- MB/s", "--"
	if p.BytesPerSec > 0 {
		rate = fmt.Sprintf("%7.1f MB/s", p.BytesPerSec/1e6)
		eta = p.ETA.Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %3.0f%%  %-14s %s  ETA %s", bar, frac*100, p.Phase, rate, eta)
}

// stepName says in words what a pipeline step does.
func stepName(step string) string {
	switch step {
	case "authenticating":
		return "checking the title package"
	}
	return step
}

type printer struct {
	w    io.Writer
	json bool
}

func (p printer) enc(v any) {
	e := json.NewEncoder(p.w)
	e.SetIndent("", "  ")
	e.Encode(v)
}

func (p printer) status(s *api.Status) {
	if p.json {
		p.enc(s)
		return
	}
	fmt.Fprintf(p.w, "station %s: ready=%v tampered=%v door_open=%v keys_held=%d nodes_reachable=%d/%d\n", s.StationID, s.Ready, s.Tampered, s.DoorOpen, s.KeysHeld, s.NodesReachable, len(s.Nodes))
	if s.Draining {
		fmt.Fprintln(p.w, "  draining for update: running jobs finish, no new copy starts (stationd drain --cancel ends it)")
	}
	for _, n := range s.Nodes {
		switch {
		case n.Checked.IsZero():
			fmt.Fprintf(p.w, "  node %s: not checked yet\n", n.Address)
		case n.Reachable:
			fmt.Fprintf(p.w, "  node %s: reachable\n", n.Address)
		default:
			fmt.Fprintf(p.w, "  node %s: unreachable (%s)\n", n.Address, n.Error)
		}
	}
	for _, d := range s.Drives {
		line := fmt.Sprintf("  drive %d (%s): %s %s", d.Index, d.Name, d.State, d.JobID)
		if d.Error != "" {
			line += "(" + d.Error + ")"
		}
		if d.Disc != "" {
			line += "; it holds " + d.Disc
		}
		switch {
		case d.NeedsEnable:
			line += fmt.Sprintf("; once checked: stationd drive enable %d", d.Index)
		case !d.NextProbe.IsZero():
			line += "; probed again at " + d.NextProbe.Format(time.TimeOnly)
		}
		fmt.Fprintln(p.w, strings.TrimRight(line, " "))
	}
	for _, st := range job.States {
		if n := s.Jobs[string(st)]; n > 0 {
			fmt.Fprintf(p.w, "  jobs %s: %d\n", st, n)
		}
	}
}

func (p printer) jobs(js []api.Job) {
	if p.json {
		p.enc(js)
		return
	}
	tw := tabwriter.NewWriter(p.w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tDRIVE\tSTATE\tATTEMPT\tTITLE\tTOKEN\tREASON")
	for _, j := range js {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\n", j.ID, j.Drive, j.State, j.Attempt, j.TitleID, j.TokenID, j.Reason)
	}
	tw.Flush()
}

func (p printer) job(j *api.Job) {
	if p.json {
		p.enc(j)
		return
	}
	fmt.Fprintf(p.w, "job %s: %s (drive %d, attempt %d)\n", j.ID, j.State, j.Drive, j.Attempt)
	if j.CopyID != "" {
		fmt.Fprintf(p.w, "  copy %s, ledger height %d, tx %s\n", j.CopyID, j.Receipt.Height, j.Receipt.TxHash)
	}
	if j.Reason != "" {
		fmt.Fprintf(p.w, "  %s\n", j.Reason)
	}
}
