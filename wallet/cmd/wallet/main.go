// Command wallet is the customer's wallet for copy tokens.
//
//	wallet init                      make the owner key, sealed under a passphrase
//	wallet id                        the public key and ledger owner ID
//	wallet register --node URL       record the owner identity on the ledger
//	wallet tokens --node URL         the tokens this wallet holds, proved
//	wallet grant --station S --title T --token TOK [--png FILE]
//	wallet token --node URL ID...    tokens with their proofs, and whose they are
//	wallet transfer --node URL --token ID --to PUBKEY
//	wallet verify --node URL RECEIPT the receipt of a copy, against the ledger
//	wallet serve [--listen ADDR]     the wallet as a page; its key is made and kept in the browser
//	wallet cert --name NAME --tls-cert FILE --tls-key FILE
//	                                 a self-signed certificate for serving the page to a phone
//
// The passphrase comes from the file named by --passphrase-file or from
// the COPYSTATION_WALLET_PASSPHRASE variable, never from a flag (flags
// show in the process list).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"copystation/validatord/ledger"
	"copystation/wallet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage: wallet COMMAND [flags]

  init                                   make the owner key, sealed under the passphrase
  id                                     show the public key (give it to whoever mints or transfers to you)
  register --node URL                    record your owner identity on the ledger, proving you hold the key
  tokens --node URL                      the tokens you hold (from the ledger's owner index), each proved
  grant --station ID --title T --token TOK [--chain C | --node URL] [--life 5m] [--png FILE]
                                         a copy code for a kiosk: QR code in the terminal (and PNG)
  token --node URL ID...                 tokens, proved against the ledger, and whether they are yours
  transfer --node URL --token ID --to PUBKEY
                                         give a token to another owner
  verify --node URL RECEIPT              check a kiosk receipt's text against the ledger
  serve [--listen 127.0.0.1:8099] [--node URL | --chain C]
                                         the wallet as a page for this device's browser (loopback only);
                                         the page makes and keeps its own key, sealed in the browser
  serve --listen ADDR --tls-cert FILE --tls-key FILE [--host NAME]...
                                         the page over HTTPS for a phone on this network; it answers
                                         only to NAME (default: the certificate's names) and loopback
  cert --name NAME... --tls-cert FILE --tls-key FILE
                                         make a self-signed certificate for NAME (a LAN host name or
                                         IP) and print its SHA-256 fingerprint to check on the phone

Every command but serve takes --wallet FILE (default ~/.config/copystation/wallet.json) and
--passphrase-file FILE (or COPYSTATION_WALLET_PASSPHRASE). --node is a validation
node's RPC address, e.g. tcp://127.0.0.1:26657.
`

// PassphraseVar names the environment variable holding the passphrase.
const PassphraseVar = "COPYSTATION_WALLET_PASSPHRASE"

type opts struct {
	file, passFile, node, chain, station, title, token, to, png, listen string
	tlsCert, tlsKey                                                     string
	hosts, names                                                        names
	life                                                                time.Duration
}

// Main runs one wallet command and returns its exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("wallet "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o opts
	home, _ := os.UserHomeDir()
	fs.StringVar(&o.file, "wallet", filepath.Join(home, ".config", "copystation", "wallet.json"), "the wallet file")
	fs.StringVar(&o.passFile, "passphrase-file", "", "read the passphrase from this file (else $"+PassphraseVar+")")
	fs.StringVar(&o.node, "node", "", "a validation node's RPC address (tcp://HOST:PORT)")
	fs.StringVar(&o.chain, "chain", "", "the ledger's chain ID (asked of --node when empty)")
	fs.StringVar(&o.station, "station", "", "the kiosk's station ID, as its screen shows it")
	fs.StringVar(&o.title, "title", "", "the film's title ID")
	fs.StringVar(&o.token, "token", "", "the copy token's ID")
	fs.StringVar(&o.to, "to", "", "the new owner's public key (hex, from their `wallet id`)")
	fs.StringVar(&o.png, "png", "", "also write the grant's QR code to this PNG file")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8099", "serve: the page's loopback address")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve, cert: the page's TLS certificate (PEM)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "serve, cert: the certificate's key (PEM; a TLS key for this relay, not an owner key)")
	fs.Var(&o.hosts, "host", "serve: a public name the page answers to (repeatable; default: the certificate's names)")
	fs.Var(&o.names, "name", "cert: a host name or IP address the phone opens (repeatable)")
	fs.DurationVar(&o.life, "life", 5*time.Minute, "how long the grant is valid (at most 15m)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	err := run(ctx, cmd, fs.Args(), o, stdout, getenv)
	if errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "wallet %s: %v\n\n%s", cmd, err, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "wallet %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

var errUsage = errors.New("wrong use")

func run(ctx context.Context, cmd string, args []string, o opts, out io.Writer, getenv func(string) string) error {
	switch cmd {
	case "serve": // the page's key lives in the browser, not in the wallet file
		return serve(ctx, o, out)
	case "cert":
		return makeCert(o, out)
	}
	pass, err := passphrase(o.passFile, getenv)
	if err != nil {
		return err
	}
	defer clear(pass)
	if cmd == "init" {
		if err := os.MkdirAll(filepath.Dir(o.file), 0o700); err != nil {
			return err
		}
		w, err := wallet.Create(o.file, pass, wallet.DefaultKDF, rand.Reader)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "wallet made: %s\nowner ID    %s\npublic key  %x\n", o.file, w.OwnerID(), w.PublicKey())
		return nil
	}
	w, err := wallet.Open(o.file, pass)
	if err != nil {
		return err
	}
	switch cmd {
	case "id":
		fmt.Fprintf(out, "owner ID    %s\npublic key  %x\n", w.OwnerID(), w.PublicKey())
		return nil
	case "grant":
		return grant(ctx, w, o, out)
	}
	if o.node == "" {
		return fmt.Errorf("%w: --node is needed", errUsage)
	}
	l, err := ledger.Dial(o.node)
	if err != nil {
		return err
	}
	switch cmd {
	case "register":
		h, err := w.Register(ctx, l, rand.Reader)
		if errors.Is(err, wallet.ErrAlreadyRegistered) {
			fmt.Fprintf(out, "owner %s is already registered; nothing to do\n", w.OwnerID())
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "owner %s registered at block %d\n", w.OwnerID(), h)
		return nil
	case "tokens":
		toks, err := w.Tokens(ctx, l)
		if err != nil {
			return err
		}
		if len(toks) == 0 {
			fmt.Fprintf(out, "owner %s holds no tokens\n", w.OwnerID())
		}
		for _, t := range toks {
			fmt.Fprintf(out, "%s  title %s  %s  (proved at block %d)\n", t.ID, t.Title, t.State, t.Proved.Height)
		}
		return nil
	case "token":
		if len(args) == 0 {
			return fmt.Errorf("%w: name at least one token ID", errUsage)
		}
		for _, id := range args {
			t, err := w.Token(ctx, l, id)
			if err != nil {
				return err
			}
			whose := "not yours (owner " + t.OwnerID + ")"
			if t.Mine {
				whose = "yours"
			}
			fmt.Fprintf(out, "%s  title %s  %s  %s  (proved at block %d)\n", t.ID, t.Title, t.State, whose, t.Proved.Height)
		}
		return nil
	case "transfer":
		to, err := hex.DecodeString(o.to)
		if err != nil || o.token == "" {
			return fmt.Errorf("%w: --token ID and --to PUBKEY (hex) are needed", errUsage)
		}
		if err := w.Transfer(ctx, l, rand.Reader, o.token, to); err != nil {
			return err
		}
		fmt.Fprintf(out, "token %s transferred\n", o.token)
		return nil
	case "verify":
		if len(args) != 1 {
			return fmt.Errorf("%w: give the receipt's text (copystation:copy?...)", errUsage)
		}
		v, err := wallet.VerifyReceipt(ctx, l, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "copy %s of token %s (title %s) at station %s: made, image %x\nproved against the header at height %d\n",
			v.Copy.JobID, v.Copy.Token, v.Copy.Title, v.Copy.Station, v.Attempt.DiscDigest, v.Proved.HeaderHeight)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

func grant(ctx context.Context, w *wallet.Wallet, o opts, out io.Writer) error {
	if o.chain == "" && o.node != "" {
		l, err := ledger.Dial(o.node)
		if err != nil {
			return err
		}
		if o.chain, err = l.ChainID(ctx); err != nil {
			return err
		}
	}
	if o.chain == "" {
		return fmt.Errorf("%w: --chain or --node is needed", errUsage)
	}
	text, err := w.Grant(rand.Reader, time.Now(), wallet.GrantRequest{ChainID: o.chain, StationID: o.station, TitleID: o.title, TokenID: o.token, Life: o.life})
	if err != nil {
		return err
	}
	qr, err := wallet.GrantTerminal(text)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\nShow this to the kiosk's scanner within %v.\n%s\n", qr, o.life, text)
	if o.png != "" {
		p, err := wallet.GrantPNG(text)
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.png, p, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func passphrase(file string, getenv func(string) string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	if p := getenv(PassphraseVar); p != "" {
		return []byte(p), nil
	}
	return nil, fmt.Errorf("%w: no passphrase: use --passphrase-file FILE or set %s", errUsage, PassphraseVar)
}
