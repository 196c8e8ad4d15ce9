package daemon

import (
	"context"
	"errors"
	"net/http"
	"time"

	"copystation/robot"
	"copystation/stationd/api"
)

// BinReporter is a Robot that can say what its bins hold and be told a
// person has freed a jam. The status and the staff screen use it.
type BinReporter interface {
	Bins(ctx context.Context) (robot.Status, error)
	Reset(ctx context.Context) error
}

var _ BinReporter = (*AutoLoader)(nil)

// Bins implements BinReporter with the robot's STATUS.
func (a *AutoLoader) Bins(ctx context.Context) (robot.Status, error) { return a.R.Status(ctx) }

// Reset implements BinReporter with the robot's RESET.
func (a *AutoLoader) Reset(ctx context.Context) error { return a.R.Reset(ctx) }

// robotStatusWait bounds a status's wait for the robot: a STATUS queues
// behind a motion in progress, and the status must answer promptly.
const robotStatusWait = time.Second

func (d *Daemon) robotStatus(ctx context.Context) *api.RobotStatus {
	br, ok := d.robot.(BinReporter)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, robotStatusWait)
	defer cancel()
	s, err := br.Bins(ctx)
	if err != nil {
		return &api.RobotStatus{Error: err.Error()}
	}
	return &api.RobotStatus{Input: s.Input, Output: s.Output, Rejected: s.Rejected, Jammed: s.Jammed}
}

func (d *Daemon) resetRobot(w http.ResponseWriter, r *http.Request) {
	var b struct{}
	if err := decode(r, &b); err != nil {
		replyErr(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	br, ok := d.robot.(BinReporter)
	if !ok {
		replyErr(w, http.StatusConflict, "no_robot", errors.New("this station has no disc robot: discs are loaded by hand"))
		return
	}
	if err := br.Reset(r.Context()); err != nil {
		replyErr(w, http.StatusBadGateway, "robot", err)
		return
	}
	reply(w, http.StatusOK, d.Status(r.Context()))
}
