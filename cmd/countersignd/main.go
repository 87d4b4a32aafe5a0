// Command countersignd is the Countersign companion server: it enrolls
// devices by activation code, pushes sign-in requests to them, verifies
// their signed answers and one-time codes, and serves the relying-party API.
//
//	countersignd serve [--addr HOST:PORT] [--data DIR] [--public-url URL] [--tls-cert F --tls-key F]
//	countersignd user add NAME [--require-mfa=true]
//	countersignd user list [--json]
//	countersignd user block NAME | user unblock NAME
//	countersignd enroll NAME [--json]
//	countersignd user phone NAME +E164 [--methods sms,voice] [--default METHOD]
//	countersignd rp add NAME [--webhook URL] [--approve-only] [--json]
//	countersignd usage [--from DATE] [--to DATE] [--json|--csv]
//	countersignd admin add|list|remove
//	countersignd devices NAME [--json]
//	countersignd device revoke ID | device approve ID
//	countersignd copy-db --db postgres://...
//
// Every command takes --data DIR (default: the working directory) and
// --db postgres://... (a PostgreSQL database several instances share;
// default: the SQLite file in --data); the admin commands work while serve
// runs on the same data. Errors print one
// line, "countersignd: reason", and exit with status 1 (2 for a misused
// command line).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usage is the help text.
const usage = `usage:
  countersignd serve [--addr HOST:PORT] [--data DIR] [--public-url URL] [--tls-cert FILE --tls-key FILE]
                     [--insecure-allow-http] [--demo] [--number-digits N] [--issuer NAME] [--block-on-fraud=true]
                     [--max-conns-per-ip N] [--shared] [--trusted-proxy ADDR,CIDR...] [--usage-model per-user|per-authentication]
                     [--telephony file:PATH|webhook:CONFIG.json|exec:PROGRAM] [--telephony-countries US,GB,...] [--telephony-daily-cap N]
  countersignd user add NAME [--require-mfa=true]
  countersignd user list [--json]
  countersignd user block NAME
  countersignd user unblock NAME
  countersignd user recovery-codes NAME [--json]   (ten single-use codes, shown once; the old ones end)
  countersignd user phone NAME +E164 [--methods sms,voice] [--default push|sms|voice] | user phone NAME --remove
  countersignd enroll NAME [--json] [--public-url URL]
  countersignd rp add NAME [--webhook URL] [--approve-only] [--json]   (an API key, and Duo Auth API keys)
  countersignd rp duo-keys NAME [--json]   (an application's Duo Auth API keys again)
  countersignd devices NAME [--json]
  countersignd device revoke ID
  countersignd device approve ID          (a device that waits for an approval)
  countersignd admin add NAME --password-file FILE   (a web console administrator, /admin)
  countersignd admin list [--json]
  countersignd admin remove NAME
  countersignd usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json|--csv]   (UTC days, --to included; default: this month)
  countersignd copy-db --db postgres://USER@HOST:5432/DB   (the SQLite database of --data into an empty PostgreSQL one; stop serve first)
Every command takes --data DIR (default: the working directory): the key files, and the database
unless --db postgres://USER@HOST:5432/DB names a PostgreSQL database that instances share (its password
from PGPASSWORD or ~/.pgpass: every user of the machine can read a command line).
`

// usageError is a misused command line: exit status 2.
type usageError struct{ msg string }

// Error returns the message.
func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run executes one command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout, stderr)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintln(stderr, "countersignd:", oneLine(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("no command given; try: countersignd serve (countersignd help lists the commands)")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		return flag.ErrHelp
	case "serve":
		return cmdServe(rest, stderr)
	case "user":
		if len(rest) == 0 {
			return usagef("user needs a subcommand: add, list, block, unblock, phone or recovery-codes")
		}
		switch rest[0] {
		case "add":
			return cmdUserAdd(rest[1:], stdout)
		case "list":
			return cmdUserList(rest[1:], stdout)
		case "block":
			return cmdUserBlock(rest[1:], stdout, true)
		case "unblock":
			return cmdUserBlock(rest[1:], stdout, false)
		case "phone":
			return cmdUserPhone(rest[1:], stdout)
		case "recovery-codes":
			return cmdUserRecoveryCodes(rest[1:], stdout)
		}
		return usagef("unknown command user %q: use add, list, block, unblock, phone or recovery-codes", rest[0])
	case "enroll":
		return cmdEnroll(rest, stdout)
	case "rp":
		if len(rest) > 0 && rest[0] == "duo-keys" {
			return cmdRPDuoKeys(rest[1:], stdout)
		}
		if len(rest) == 0 || rest[0] != "add" {
			return usagef("rp needs a subcommand: rp add NAME [--webhook URL] [--approve-only] [--json], or rp duo-keys NAME [--json]")
		}
		return cmdRPAdd(rest[1:], stdout)
	case "devices":
		return cmdDevices(rest, stdout)
	case "usage":
		return cmdUsage(rest, stdout)
	case "copy-db":
		return cmdCopyDB(rest, stdout)
	case "admin":
		return cmdAdmin(rest, stdout, stderr)
	case "device":
		if len(rest) > 0 && rest[0] == "revoke" {
			return cmdDeviceRevoke(rest[1:], stdout)
		}
		if len(rest) > 0 && rest[0] == "approve" {
			return cmdDeviceApprove(rest[1:], stdout)
		}
		return usagef("device needs a subcommand: device revoke ID or device approve ID")
	}
	return usagef("unknown command %q (countersignd help lists the commands)", cmd)
}

// newFlags makes a flag set that reports errors instead of exiting, with
// the --data and --db flags every command has (dbflag.go).
func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", ".", "data directory: database and key files")
	fs.String("db", "", dbUsage)
	return fs, data
}

// parse parses flags placed before, between or after the positional
// arguments, and checks that there are exactly want of those.
func parse(fs *flag.FlagSet, args []string, want int, what string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if err := recordDB(fs); err != nil {
		return nil, err
	}
	if len(pos) != want {
		if want == 0 {
			return nil, usagef("%s takes no arguments (got %q)", fs.Name(), strings.Join(pos, " "))
		}
		return nil, usagef("%s needs %s", fs.Name(), what)
	}
	return pos, nil
}
