package validatord

import (
	"fmt"
	"strings"
	"time"

	"copystation/validatord/contract"
)

// cmdTitleRecord signs an update of a title's public record (its issuer).
func cmdTitleRecord(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "title ID")
	desc := e.fs.String("description", "", "the title's description for people")
	holder := e.fs.String("rights-holder", "", "who holds the rights")
	contact := e.fs.String("contact", "", "where takedown notices go")
	isKey := e.keyFlag("issuer-key", FileIssuerKey, "the title's issuer key")
	if err := e.parse(args, "id"); err != nil {
		return err
	}
	body := contract.UpdateRecordBody{Title: *id, Description: *desc, RightsHolder: *holder, Contact: *contact}
	if err := e.tracerDo("ledger.UpdateRecord", *isKey, contract.TxUpdateRecord, body); err != nil {
		return err
	}
	e.print(body, fmt.Sprintf("title %s: record updated (rights holder %q, contact %q)", *id, *holder, *contact))
	return nil
}

// cmdTitleHistory shows a title's public record and its history.
func cmdTitleHistory(e *env, args []string) error {
	e.nodeFlags()
	e.fs.BoolVar(&e.prove, "prove", false, "verify the record's inclusion proof against the block header")
	id := e.fs.String("id", "", "title ID")
	if err := e.parse(args, "id"); err != nil {
		return err
	}
	var r contract.TitleRecord
	return e.show("/record/"+*id, &r, func() string {
		var s strings.Builder
		fmt.Fprintf(&s, "title %s: %d versions of its record, newest last", r.Title, len(r.Versions))
		for i, v := range r.Versions {
			fmt.Fprintf(&s, "\n  %d. height %d (%s) by %s: rights holder %q, contact %q\n     %s",
				i+1, v.Height, time.Unix(v.Time, 0).UTC().Format(time.RFC3339), v.By, v.RightsHolder, v.Contact, v.Description)
		}
		return s.String()
	})
}
