package validatord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"copystation/validatord/chain"
	"copystation/validatord/spoilwatch"
)

// serveMetrics serves the node's Prometheus metrics (/metrics) on ln until
// ctx ends: each station's spoiled-disc tally from the ledger and the spoil
// rate alert (docs/operators.md, "Spoiled discs"), and the node's checks of
// station signatures.
func serveMetrics(ctx context.Context, ln net.Listener, n *chain.Node, logf func(string, ...any)) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(spoilwatch.New(n.App, nil, spoilwatch.DefaultRule))
	for _, how := range []string{"verified", "reused"} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "copystation_node_statement_checks_total",
			Help:        "Checks of station statements' signatures: verified ran ECDSA, reused took this node's gateway's earlier check.",
			ConstLabels: prometheus.Labels{"how": how},
		}, func() float64 {
			v, r := n.App.StatementChecks()
			if how == "verified" {
				return float64(v)
			}
			return float64(r)
		}))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("validatord: metrics: %v", err)
		}
	}()
	logf("validatord: metrics on http://%s/metrics", ln.Addr())
}

func startMetrics(ctx context.Context, cfg Config, deps Deps, n *chain.Node, logf func(string, ...any)) error {
	if cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := deps.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	serveMetrics(ctx, ln, n, logf)
	return nil
}
