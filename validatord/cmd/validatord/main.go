// Command validatord runs a copy-station validation node and its operators'
// commands; see validatord.Main.
package main

import (
	"context"
	"os"

	"copystation/validatord"
)

func main() {
	os.Exit(validatord.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
