package drive

import (
	"context"
	"errors"
	"fmt"
)

// maxAttentions bounds how many unit attentions in a row one operation
// absorbs. Each reports one event (a reset, a new medium, a changed LUN
// inventory) and is cleared by being reported, so a handful in a row is
// normal after a power-on; a drive that keeps reporting them is broken.
const maxAttentions = 16

// absorbAttentions runs seq, a whole operation, and runs it again from its
// first command after each unit attention it fails with, at most
// maxAttentions times. Starting over, not resending the one command, is
// what makes absorbing safe for a sequence: 06/28/00 halfway through
// MediaInfo means the answers before it may describe the previous medium.
//
// Only operations that establish what the drive holds (Identify,
// WaitReady, MediaInfo, Load) or that let go of it (Eject, Lock(false))
// absorb. Commands of a write sequence never do: there a unit attention
// says the medium may have changed under the caller, which must re-read
// MediaInfo before writing on.
func (d *Drive) absorbAttentions(ctx context.Context, op string, seq func() error) error {
	for n := 0; ; n++ {
		err := seq()
		if err == nil || !errors.Is(err, ErrUnitAttention) || ctx.Err() != nil {
			return err
		}
		if n == maxAttentions {
			return fmt.Errorf("%w (the drive reported %d unit attentions in a row; each was absorbed and the operation started over)", err, n+1)
		}
		d.log.Info("drive: unit attention absorbed", "op", op, "err", err)
	}
}
