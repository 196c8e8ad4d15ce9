package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"copystation/stationd/config"
	"copystation/stationd/titles"
)

const titlesUsage = `usage: stationd titles COMMAND [flags]

  add    [--config FILE] [--content-hash HEX] [--json] PACKAGE
         check a title package in full, copy it into the titles directory
         and record it, so that burns read it once
  list   [--config FILE] [--json]           the installed titles
  remove [--config FILE] TITLE              delete a title's record and package
`

// cmdTitles manages the installed title packages (stationd/titles).
func cmdTitles(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, titlesUsage)
		return 2
	}
	if args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, titlesUsage)
		return 0
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("stationd titles "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/stationd/station.toml", "the configuration file")
	asJSON := fs.Bool("json", false, "print JSON")
	hash := new(string)
	if sub == "add" {
		hash = fs.String("content-hash", "", "the title's content hash on the ledger (hex, from `validatord title show`): the package must be that title")
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "stationd titles: %v\n", err)
		return 1
	}
	st := titles.ForState(cfg.StateDir, cfg.TitlesDir)
	fail := func(err error) int { fmt.Fprintf(stderr, "stationd titles %s: %v\n", sub, err); return 1 }
	switch {
	case sub == "add" && fs.NArg() == 1:
		var opts titles.AddOptions
		if *hash != "" {
			if opts.ContentHash, err = hex.DecodeString(*hash); err != nil || len(opts.ContentHash) != 32 {
				return fail(errors.New("--content-hash must be 64 hex digits"))
			}
		}
		r, err := st.Add(ctx, fs.Arg(0), opts)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			return printJSON(stdout, r)
		}
		fmt.Fprintf(stdout, "installed %s: %d bytes, %d chunks checked against root %s, sha256 %s\n", r.TitleID, r.Size, r.Chunks, r.Root, r.SHA256)
		return 0
	case sub == "list" && fs.NArg() == 0:
		list, err := st.List()
		if *asJSON {
			if list == nil {
				list = []titles.Record{}
			}
			printJSON(stdout, list)
		} else {
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TITLE\tBYTES\tINSTALLED\tSTATE")
			for _, r := range list {
				state := "ok"
				if _, cerr := st.Check(r.TitleID); cerr != nil {
					state = cerr.Error()
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", r.TitleID, r.Size, r.InstalledAt.Format("2006-01-02 15:04"), state)
			}
			w.Flush()
		}
		if err != nil {
			return fail(err)
		}
		return 0
	case sub == "remove" && fs.NArg() == 1:
		if err := st.Remove(fs.Arg(0)); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "removed %s\n", fs.Arg(0))
		return 0
	}
	fmt.Fprint(stderr, titlesUsage)
	return 2
}

func printJSON(w io.Writer, v any) int {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.Encode(v)
	return 0
}
