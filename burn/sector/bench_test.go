package sector

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/xts"
)

// The candidates for the disc's sector mode, each over one 64 KiB cluster
// of 2 KiB sectors (the write unit). Run with:
//
//	go test -run X -bench . -cpu 1 ./burn/sector
var benchKey = bytes.Repeat([]byte{3}, 64)

func BenchmarkXTS(b *testing.B) {
	c, _ := xts.NewCipher(aes.NewCipher, benchKey)
	buf := make([]byte, ClusterSize)
	b.SetBytes(ClusterSize)
	for i := 0; b.Loop(); i++ {
		for s := 0; s < ClusterSectors; s++ {
			p := buf[s*SectorSize : (s+1)*SectorSize]
			c.Encrypt(p, p, uint64(i*ClusterSectors+s))
		}
	}
}

func BenchmarkCTRPerSector(b *testing.B) {
	block, _ := aes.NewCipher(benchKey[:32])
	buf := make([]byte, ClusterSize)
	b.SetBytes(ClusterSize)
	for i := 0; b.Loop(); i++ {
		for s := 0; s < ClusterSectors; s++ {
			iv := CounterBlock(uint64(i*ClusterSectors + s))
			p := buf[s*SectorSize : (s+1)*SectorSize]
			cipher.NewCTR(block, iv[:]).XORKeyStream(p, p)
		}
	}
}

func BenchmarkCTRPerCluster(b *testing.B) {
	c, _ := New(benchKey[:32])
	buf := make([]byte, ClusterSize)
	b.SetBytes(ClusterSize)
	for i := 0; b.Loop(); i++ {
		c.XOR(buf, buf, uint64(i*ClusterSectors))
	}
}

func BenchmarkGMACPerCluster(b *testing.B) {
	c, _ := New(benchKey[:32])
	buf := make([]byte, ClusterSize)
	b.SetBytes(ClusterSize)
	for i := 0; b.Loop(); i++ {
		c.Tag(uint64(i), buf)
	}
}

func BenchmarkCTRPlusGMAC(b *testing.B) {
	c, _ := New(benchKey[:32])
	buf := make([]byte, ClusterSize)
	b.SetBytes(ClusterSize)
	for i := 0; b.Loop(); i++ {
		c.XOR(buf, buf, uint64(i*ClusterSectors))
		c.Tag(uint64(i), buf)
	}
}

func BenchmarkGCMPerCluster(b *testing.B) {
	block, _ := aes.NewCipher(benchKey[:32])
	aead, _ := cipher.NewGCM(block)
	buf := make([]byte, ClusterSize, ClusterSize+16)
	nonce := make([]byte, 12)
	b.SetBytes(ClusterSize)
	for b.Loop() {
		aead.Seal(buf[:0], nonce, buf, nil)
	}
}

func BenchmarkSHA256PerCluster(b *testing.B) {
	buf := make([]byte, ClusterSize)
	b.SetBytes(ClusterSize)
	for b.Loop() {
		sha256.Sum256(buf)
	}
}

func BenchmarkHMACSHA256PerCluster(b *testing.B) {
	buf := make([]byte, ClusterSize)
	h := hmac.New(sha256.New, benchKey[:32])
	b.SetBytes(ClusterSize)
	for b.Loop() {
		h.Reset()
		h.Write(buf)
		h.Sum(nil)
	}
}

// BenchmarkFloor is the cryptographic floor of a copy per 64 KiB of image:
// one package decryption (AES-256-GCM open of the chunk, as titlepkg
// does), one sector encryption with its cluster tag (CTR + GMAC) and one
// tag check on read-back (GMAC). Run it at -cpu 1 beside the pipeline
// benchmarks: its cpu-s/GB is the figure the pipeline is held to.
func BenchmarkFloor(b *testing.B) {
	c, _ := New(benchKey[:32])
	block, _ := aes.NewCipher(benchKey[32:])
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	pt := make([]byte, ClusterSize)
	sealed := aead.Seal(nil, nonce, pt, nil)
	ct := make([]byte, len(sealed))
	b.SetBytes(ClusterSize)
	c0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		copy(ct, sealed)
		p, err := aead.Open(ct[:0], nonce, ct, nil)
		if err != nil {
			b.Fatal(err)
		}
		c.XOR(p, p, uint64(i*ClusterSectors))
		tag := c.Tag(uint64(i), p)
		if err := c.Check(uint64(i), p, tag); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time, not wall time: on a shared machine the wall clock counts
	// the time other processes held the core.
	b.ReportMetric((cpuTime()-c0).Seconds()/(float64(b.N)*ClusterSize/1e9), "cpu-s/GB")
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
