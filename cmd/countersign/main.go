// Command countersign is the Countersign authenticator: the Fyne desktop app
// by default, and headless subcommands for scripts and tests.
//
//	countersign [--scan] [URI...]            the GUI; one per vault: a later start hands
//	                                         --scan and the URIs over to the running one
//	countersign code --uri URI [--at UNIX]   one code from a URI, no vault (like oathtool)
//	countersign scan FILE...                 the text of every QR code found, one per line
//	countersign add URI | --scan FILE | --screen
//	countersign list [--json]                accounts, never secrets
//	countersign code [QUERY] [--json]        current codes from the vault
//	countersign rename ID [--issuer I] [--name N]
//	countersign delete ID
//
// Global flags, before or after the subcommand: --vault DIR (or
// COUNTERSIGN_VAULT), --store keyring|file (or COUNTERSIGN_STORE),
// --passphrase-file F (or
// COUNTERSIGN_PASSPHRASE_FILE). Exit status is 0 on success; otherwise
// non-zero with one line "countersign: <reason>" on standard error.
package main

import (
	"os"

	// First of all: keeps Fyne quiet under LANG=C.UTF-8 (see the package).
	_ "github.com/countersign/countersign/cmd/countersign/internal/localefix"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
