package validatord

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/flynn/noise"

	"copystation/validatord/chain"
	"copystation/validatord/gateway"
	"copystation/validatord/ledger"
)

// Config says which node to run.
type Config struct {
	// Home is the node's home directory.
	Home string
	// KEK opens the node's vault (32 bytes).
	KEK []byte
	// Log receives one line per notable event; nil discards.
	Log io.Writer
	// MetricsAddr, if set, is where /metrics is served (Prometheus text
	// format), e.g. 127.0.0.1:26660.
	MetricsAddr string
}

// Deps are Run's outside effects; nil fields fall back to the real ones.
type Deps struct {
	// Listen opens the gateway's listener (net.Listen).
	Listen func(network, addr string) (net.Listener, error)
	// Notify tells the service manager about state changes
	// ("READY=1", "STOPPING=1"); the default writes to $NOTIFY_SOCKET.
	Notify func(state string) error
	// Getenv reads systemd's watchdog settings ($WATCHDOG_USEC,
	// $WATCHDOG_PID); os.Getenv by default.
	Getenv func(string) string
	// Started, if set, is called with the running node once it is ready
	// (tests).
	Started func(*chain.Node)
}

// Run serves the node until ctx ends: CometBFT with the contract, and the
// station gateway on the node's gateway address. Under systemd's watchdog
// it sends WATCHDOG=1 every half period while the node is alive.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	if deps.Listen == nil {
		deps.Listen = net.Listen
	}
	if deps.Notify == nil {
		deps.Notify = sdNotify
	}
	if deps.Getenv == nil {
		deps.Getenv = os.Getenv
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	n, err := chain.Start(ctx, chain.Options{Home: cfg.Home, KEK: cfg.KEK, LogWriter: cfg.Log})
	if err != nil {
		return fmt.Errorf("validatord.Run: %w", err)
	}
	defer n.Stop()
	srv, err := newGateway(n, logf)
	if err != nil {
		return fmt.Errorf("validatord.Run: %w", err)
	}
	done := make(chan error, 1)
	if addr := n.Config.GatewayListen; addr != "" {
		ln, err := deps.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("validatord.Run: gateway: %w", err)
		}
		go func() { done <- srv.Serve(ctx, ln) }()
		logf("validatord: gateway on %s, node %s", ln.Addr(), srv.NodeID())
	}
	if err := startMetrics(ctx, cfg, deps, n, logf); err != nil {
		return fmt.Errorf("validatord.Run: %w", err)
	}
	if deps.Started != nil {
		deps.Started(n)
	}
	if err := deps.Notify("READY=1"); err != nil {
		logf("validatord: notify: %v", err)
	}
	if every, ok := watchdogInterval(deps.Getenv, os.Getpid()); ok {
		wctx, stopWatchdog := context.WithCancel(ctx)
		defer stopWatchdog()
		go keepAlive(wctx, every, nodeAlive(n), deps.Notify, logf)
	}
	select {
	case <-ctx.Done():
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("validatord.Run: gateway: %w", err)
		}
	}
	deps.Notify("STOPPING=1")
	return nil
}

func newGateway(n *chain.Node, logf func(string, ...any)) (*gateway.Server, error) {
	priv, err := ecdh.X25519().NewPrivateKey(n.GatewayKey)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	return gateway.New(gateway.Config{
		NoiseKey: noise.DHKey{Private: n.GatewayKey, Public: priv.PublicKey().Bytes()},
		Signer:   n.Signer,
		Ledger:   ledger.NewLocalGather(n, gatherWindow(n.Config)),
		Random:   rand.Reader,
		Logf:     logf,
	})
}

// gatherWindow is the window node.json's gather_ms gives the gateway's
// ledger: absent, ledger.DefaultGatherWindow; 0, none.
func gatherWindow(nc *chain.NodeConfig) time.Duration {
	if nc == nil || nc.GatherMS == nil {
		return ledger.DefaultGatherWindow
	}
	return time.Duration(*nc.GatherMS) * time.Millisecond
}

// sdNotify sends a state line to systemd's notify socket, if there is one.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}
