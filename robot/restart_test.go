package robot_test

import (
	"context"
	"testing"
	"time"

	"copystation/robot"
	"copystation/simulator/drivesim"
	"copystation/simulator/robotsim"
)

// TestRestartedClientIsNotTakenForADuplicate: a station daemon that died
// right after its first command leaves the robot remembering sequence number
// 1. The restarted daemon's client numbers from 1 again; its first real
// command must still be carried out, not answered from the robot's memory.
func TestRestartedClientIsNotTakenForADuplicate(t *testing.T) {
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

	// The dead client: its one and only line was PICK, numbered 1.
	if reply, _ := sim.Handle(robot.AppendLine(nil, 1, "PICK")); len(reply) == 0 {
		t.Fatal("robotsim gave no reply to PICK")
	}

	hostEnd, devEnd := pipePair()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { sim.Serve(ctx, devEnd); close(done) }()
	bot := robot.New(hostEnd, robot.WithRetry(50*time.Millisecond), robot.WithTimeout(20*time.Second))
	defer func() {
		bot.Close()
		devEnd.Close()
		cancel()
		<-done
	}()

	if err := bot.Load(ctx, 1); err != nil {
		t.Fatalf("Load(1) from a restarted client = %v, want nil", err)
	}
	if !drv.HasDisc() {
		t.Fatal("drive has no disc after the restarted client's Load(1): the robot took it for the dead client's PICK")
	}
}
