package robot_test

import (
	"context"
	"testing"
	"time"

	"copystation/robot"
	"copystation/simulator/drivesim"
	"copystation/simulator/robotsim"
)

// TestClientAfterPartialLine: a station daemon killed while writing a line
// leaves the robot holding its first bytes, with no LF. The restarted
// daemon's first line must not be glued onto them (the robot would ignore
// the glued line for its checksum and the client would wait a whole retry
// interval): its first command is answered without a retransmission.
func TestClientAfterPartialLine(t *testing.T) {
	drv, err := drivesim.New(drivesim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	sim, err := robotsim.New(robotsim.Options{Drives: []robotsim.Drive{drv}, Blanks: 2, Media: drivesim.BDR25})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	hostEnd, devEnd := pipePair()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { sim.Serve(ctx, devEnd); close(done) }()
	dead := robot.AppendLine(nil, 12, "LOAD", "1")
	if _, err := hostEnd.Write(dead[:len(dead)/2]); err != nil { // the dead client's last bytes
		t.Fatal(err)
	}
	// No retransmission within the deadline: the first line must get through.
	bot := robot.New(hostEnd, robot.WithRetry(time.Minute), robot.WithTimeout(2*time.Second))
	defer func() {
		bot.Close()
		devEnd.Close()
		cancel()
		<-done
	}()
	if _, err := bot.Status(ctx); err != nil {
		t.Fatalf("Status() from the next client = %v, want the robot's status", err)
	}
}
