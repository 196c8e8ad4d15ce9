package chain

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// PortsPerNode is how many ports a node of a test network takes, in this
// order from its first: CometBFT p2p, CometBFT RPC, station gateway.
const PortsPerNode = 3

// ErrPorts is returned when a test network's ports can't be had.
var ErrPorts = errors.New("chain: ports unavailable")

// Ports of a test network are chosen below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range). The kernel hands ports from that range to
// every outgoing connection and every listener on port 0, anywhere on the
// machine, so a port picked there and released again (listen, close, reuse)
// can be taken before the node binds it ("address already in use" under
// load) or while a stopped node is down, so that the node, restarted, can
// never listen again. Below the range only an explicit bind takes a port.
const lowestPort = 10000

// allocatePorts returns count consecutive loopback ports: from base on
// when base > 0, otherwise a random block below the ephemeral range. Every
// port is checked free when chosen.
func allocatePorts(count, base int) ([]int, error) {
	if base > 0 {
		if base+count-1 > 65535 {
			return nil, fmt.Errorf("%w: base port %d leaves no room for %d ports", ErrPorts, base, count)
		}
		ports := seq(base, count)
		if p, err := probe(ports); err != nil {
			return nil, fmt.Errorf("%w: port %d is in use (%v): choose another base port", ErrPorts, p, err)
		}
		return ports, nil
	}
	lo, hi := lowestPort, ephemeralLow()-count
	if hi <= lo { // an unusual range: use the ports above it instead
		lo, hi = ephemeralHigh()+1, 65536-count
	}
	if hi <= lo {
		return nil, fmt.Errorf("%w: no room outside the ephemeral range for %d ports", ErrPorts, count)
	}
	var last error
	for range 64 {
		ports := seq(lo+rand.IntN(hi-lo), count)
		if _, err := probe(ports); err != nil {
			last = err
			continue
		}
		return ports, nil
	}
	return nil, fmt.Errorf("%w: no free block of %d ports below %d: %v", ErrPorts, count, hi+count, last)
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// probe checks each port can be bound on loopback now.
func probe(ports []int) (int, error) {
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return p, err
		}
		l.Close()
	}
	return 0, nil
}

// ephemeralRange reads the kernel's ephemeral port range (Linux's default
// where it can't be read).
func ephemeralRange() (lo, hi int) {
	lo, hi = 32768, 60999
	p, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	f := strings.Fields(string(p))
	if len(f) != 2 {
		return lo, hi
	}
	l, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || l < 1 || h < l || h > 65535 {
		return lo, hi
	}
	return l, h
}

func ephemeralLow() int  { lo, _ := ephemeralRange(); return lo }
func ephemeralHigh() int { _, hi := ephemeralRange(); return hi }

// FreePorts returns count free loopback ports below the kernel's ephemeral
// range, for a test that needs addresses before it starts a node.
func FreePorts(count int) ([]int, error) { return allocatePorts(count, 0) }
