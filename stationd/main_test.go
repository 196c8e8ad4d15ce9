package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// childEnv makes the test binary run stationd's Main instead of the tests,
// so crash and start-up tests drive a real stationd process without a
// separate build.
const childEnv = "STATIOND_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}
