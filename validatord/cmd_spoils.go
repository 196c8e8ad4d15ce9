package validatord

import (
	"strconv"

	"copystation/validatord/contract"
)

// cmdStationSpoilLimit sets how many retries after spoiled discs a station
// may have per spoil period (docs/operators.md, "Spoiled discs").
func cmdStationSpoilLimit(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "station ID")
	limit := e.fs.Uint("limit", 0, "retries after spoiled discs allowed per period (0: none)")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "id"); err != nil {
		return err
	}
	if *limit > 10000 {
		return usagef("--limit %d: at most 10000", *limit)
	}
	a, err := e.adminFor(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	if _, err := a.Do(e.ctx, "ledger.SetSpoilLimit", contract.TxSetSpoilLimit, contract.SetSpoilLimitBody{Station: *id, Limit: uint32(*limit)}); err != nil {
		return err
	}
	n := strconv.FormatUint(uint64(*limit), 10)
	e.print(map[string]string{"station": *id, "spoil_limit": n}, "station "+*id+" may retry "+n+" spoiled disc(s) per period")
	return nil
}
