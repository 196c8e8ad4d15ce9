package localweb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"time"
)

// ErrCertName is the error for a name a certificate cannot hold.
var ErrCertName = errors.New("a certificate name must be a host name (letters, digits, '-' and '.') or an IP address: give --name wallet.lan or --name 192.168.1.20")

// CertLife is how long a made certificate lasts: under the 398 days
// browsers accept for a trusted certificate, so a phone that installs it
// as trusted takes it.
const CertLife = 397 * 24 * time.Hour

// SelfSigned makes a P-256 key and a self-signed server certificate for
// names (host names and IP addresses), valid from now for CertLife. It
// returns both PEM encoded; the key is PKCS #8.
func SelfSigned(names []string, now time.Time, random io.Reader) (certPEM, keyPEM []byte, err error) {
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("localweb.SelfSigned: %w", ErrCertName)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"copy station wallet page"}},
		NotBefore:             now.Add(-time.Hour), // a phone's clock a little behind still takes it
		NotAfter:              now.Add(CertLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(strings.Trim(n, "[]")); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if !validHostName(n) {
			return nil, nil, fmt.Errorf("localweb.SelfSigned %q: %w", n, ErrCertName)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, strings.ToLower(n))
	}
	serial, err := randSerial(random)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	key, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return nil, nil, fmt.Errorf("localweb.SelfSigned: %w", err)
	}
	der, err := x509.CreateCertificate(random, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("localweb.SelfSigned: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("localweb.SelfSigned: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	clear(pkcs8)
	return certPEM, keyPEM, nil
}

func randSerial(random io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, fmt.Errorf("localweb.SelfSigned: serial: %w", err)
	}
	b[0] &= 0x7f // positive, as RFC 5280 asks
	return new(big.Int).SetBytes(b), nil
}

func validHostName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(n, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Fingerprint is the SHA-256 of a certificate's DER, as browsers show it:
// upper-case hex bytes separated by colons.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// CertNames lists the host names and IP addresses a certificate holds,
// the names a page served with it answers to.
func CertNames(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}
