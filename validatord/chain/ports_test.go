package chain

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"testing"
)

func testnetPorts(t *testing.T, n, base int) ([]int, error) {
	t.Helper()
	opPub := operatorKey(t)
	dir := t.TempDir()
	homes := make([]string, n)
	for i := range homes {
		homes[i] = dir + "/node" + strconv.Itoa(i)
	}
	if err := InitHomes(homes, make([]byte, 32), GenesisOptions{Operators: [][]byte{opPub}}, base, nil); err != nil {
		return nil, err
	}
	var ports []int
	for _, h := range homes {
		nc, err := LoadNodeConfig(h)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(nc.RPCListen)
		if err != nil {
			t.Fatal(err)
		}
		for _, hp := range []string{nc.P2PListen, u.Host, nc.GatewayListen} {
			_, ps, err := net.SplitHostPort(hp)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := strconv.Atoi(ps)
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// TestTestnetPortsOutsideEphemeralRange: a test network's ports lie below
// the kernel's ephemeral range, where no outgoing connection or port-0
// listener of another process can take them between InitHomes and Start,
// or while a stopped node is down (the cause of "bind: address already in
// use" and of a restarted node that never listened again).
func TestTestnetPortsOutsideEphemeralRange(t *testing.T) {
	lo, hi := ephemeralRange()
	ports, err := testnetPorts(t, 4, 0)
	if err != nil {
		t.Fatalf("InitHomes(4 nodes) = %v", err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p >= lo && p <= hi {
			t.Errorf("port %d is in the ephemeral range %d-%d", p, lo, hi)
		}
		if seen[p] {
			t.Errorf("port %d given twice", p)
		}
		seen[p] = true
	}
}

// TestTestnetBasePort: with a base port, node i gets base+3i (p2p), +1
// (RPC), +2 (gateway); a base whose ports are taken is refused with
// ErrPorts, naming the port.
func TestTestnetBasePort(t *testing.T) {
	free, err := FreePorts(2 * PortsPerNode)
	if err != nil {
		t.Fatal(err)
	}
	base := free[0]
	ports, err := testnetPorts(t, 2, base)
	if err != nil {
		t.Fatalf("InitHomes(base %d) = %v", base, err)
	}
	for i, p := range ports {
		if p != base+i {
			t.Errorf("port %d = %d, want %d", i, p, base+i)
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+4)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := testnetPorts(t, 2, base); !errors.Is(err, ErrPorts) {
		t.Errorf("InitHomes(base %d, port %d taken) = %v, want %v", base, base+4, err, ErrPorts)
	}
	if _, err := testnetPorts(t, 2, 65534); !errors.Is(err, ErrPorts) {
		t.Errorf("InitHomes(base 65534) = %v, want %v", err, ErrPorts)
	}
}
