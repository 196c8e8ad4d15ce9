package tpm

import (
	"encoding/binary"
	"sync"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// Counter is a transport that counts the commands passing through it by
// command code, to measure what a copy costs the TPM.
type Counter struct {
	next transport.TPM
	mu   sync.Mutex
	n    map[tpm2.TPMCC]int
}

var _ transport.TPM = (*Counter)(nil)

// NewCounter wraps t.
func NewCounter(t transport.TPM) *Counter {
	return &Counter{next: t, n: make(map[tpm2.TPMCC]int)}
}

// Send counts the command and passes it on.
func (c *Counter) Send(cmd []byte) ([]byte, error) {
	if len(cmd) >= 10 {
		cc := tpm2.TPMCC(binary.BigEndian.Uint32(cmd[6:10]))
		c.mu.Lock()
		c.n[cc]++
		c.mu.Unlock()
	}
	return c.next.Send(cmd)
}

// Counts returns a copy of the counts since the last Reset.
func (c *Counter) Counts() map[tpm2.TPMCC]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[tpm2.TPMCC]int, len(c.n))
	for k, v := range c.n {
		m[k] = v
	}
	return m
}

// Total returns the number of commands since the last Reset.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, v := range c.n {
		total += v
	}
	return total
}

// Reset sets all counts to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	clear(c.n)
	c.mu.Unlock()
}
