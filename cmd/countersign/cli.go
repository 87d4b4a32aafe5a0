package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/countersign/countersign/app"
	"github.com/countersign/countersign/internal/instance"
	"github.com/countersign/countersign/internal/textsafe"
)

// command is one subcommand of countersign.
type command struct {
	name    string
	usage   string // the synopsis after "countersign ", one or more lines
	summary string // one sentence for the overview
	run     func(c *cli, cmd *command, args []string) error
}

// commands are the headless subcommands, in the order the overview lists them.
var commands = []*command{
	{name: "code", usage: "code --uri URI [--at UNIX]\ncode [QUERY] [--json] [--at UNIX]",
		summary: "print one code from an otpauth URI (no vault, like oathtool), or the current codes of the vault's accounts",
		run:     cmdCode},
	{name: "scan", usage: "scan FILE...",
		summary: "print the text of every QR code in image files (PNG, JPEG, GIF, WebP), one per line, without control or invisible characters",
		run:     cmdScan},
	{name: "add", usage: "add URI... | --scan FILE | --screen\nadd - < FILE   (the URI from standard input: no secret in the process list)",
		summary: "add accounts from otpauth:// or otpauth-migration:// URIs, QR images or the screen; refuses duplicates. With - it reads one URI from standard input (e.g. countersign add - < uri.txt), which keeps the secret out of argv, where other users can see it",
		run:     cmdAdd},
	{name: "list", usage: "list [--json]",
		summary: "list the accounts (never their secrets)",
		run:     cmdList},
	{name: "rename", usage: "rename ID [--issuer ISSUER] [--name NAME]",
		summary: "change the issuer or the name of an account",
		run:     cmdRename},
	{name: "delete", usage: "delete ID",
		summary: "delete an account and its secret",
		run:     cmdDelete},
	{name: "import", usage: "import FILE [--from FORMAT] [--password-file F] [--dry-run] [--yes]",
		summary: "import the accounts of a backup or another authenticator's export (all that are new, or none); the format is detected (--from forces it); FILE may be an image or a directory of images of export QR codes",
		run:     cmdImport},
	{name: "export", usage: "export --to FORMAT FILE [QUERY...] [--password-file F]",
		summary: "export the accounts matching QUERY (as code QUERY matches them), or every account: an encrypted countersign backup, aegis or aegis-encrypted, google (QR images in a directory) or otpauth (one URI per line: not encrypted)",
		run:     cmdExport},
	{name: "activate", usage: "activate URI [--device-name NAME]\nactivate - [--device-name NAME] < FILE   (the URI from standard input)",
		summary: "activate a push account from a countersign://activate URI (the enrollment QR code's text). With - it reads the URI from standard input (e.g. countersign activate - < uri.txt), which keeps the one-time code out of argv, where other users can see it. When the user already has a device, the new one waits for an approval there: activate prints the number to type on it",
		run:     cmdActivate},
	{name: "requests", usage: "requests [--wait D] [--json]",
		summary: "list the pending requests of the push accounts (sign-ins, and new devices asking to join the account), waiting up to D for one",
		run:     cmdRequests},
	{name: "approve", usage: "approve ID --number N",
		summary: "approve a request, with the number shown on the sign-in screen (or, for a new device, on that device)",
		run:     cmdApprove},
	{name: "deny", usage: "deny ID",
		summary: "deny a sign-in request (this was not me)",
		run:     cmdDeny},
	{name: "fraud", usage: "fraud ID",
		summary: "report a sign-in request as fraud: it is denied and the account blocked until an administrator unblocks it",
		run:     cmdFraud},
}

// globals are the flags every subcommand accepts, before or after its name.
type globals struct {
	vaultDir string
	// store is --store as given: "" when not given (storeFor decides).
	store          string
	passphraseFile string
}

// register adds the global flags to fs, keeping the values already parsed.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.vaultDir, "vault", g.vaultDir,
		"vault `DIR` (default: $COUNTERSIGN_VAULT, else countersign in the user config directory)")
	fs.StringVar(&g.store, "store", g.store,
		"where secrets live: keyring (the OS keyring) or file (DIR/secrets.cs, encrypted with a passphrase) (default: $COUNTERSIGN_STORE, else keyring)")
	fs.StringVar(&g.passphraseFile, "passphrase-file", g.passphraseFile,
		"`FILE` holding the passphrase of the file store (default: $COUNTERSIGN_PASSPHRASE_FILE, else asked on the terminal)")
}

// cli is one invocation of countersign: its streams and global flags.
type cli struct {
	stdin  *os.File
	stdout io.Writer
	stderr io.Writer
	g      globals

	warnedPassFile map[string]bool // passphrase and password files whose mode was warned about
}

// usageError is a mistake on the command line; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run executes countersign with args and returns the exit status. Errors are
// printed as one line "countersign: <reason>" on stderr.
func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	err := c.dispatch(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	// The reason may quote a server's answer or a file's content: cleaned,
	// it cannot rewrite the terminal.
	fmt.Fprintln(stderr, "countersign: "+textsafe.Clean(oneLine(err.Error())))
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}

// dispatch parses the global flags up to the subcommand's name and runs it;
// with no subcommand, or with URIs, it starts the GUI.
func (c *cli) dispatch(args []string) error {
	fs := flag.NewFlagSet("countersign", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.g.register(fs)
	scan := fs.Bool("scan", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.overview()
			return err
		}
		return usageErrorf("%v (see countersign --help)", err)
	}
	if fs.NArg() == 0 || isLaunchURI(fs.Arg(0)) {
		launch, err := c.parseLaunch(fs, *scan)
		if err != nil {
			return err
		}
		return runGUI(c, launch)
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if *scan {
		if name != "help" && !slices.ContainsFunc(commands, func(c *command) bool { return c.name == name }) {
			return usageErrorf("--scan takes no file: it scans the screen; to add the codes of an image file: countersign add --scan FILE")
		}
		return usageErrorf("--scan starts the app scanning the screen, and takes no command; " +
			"to add the codes of an image file: countersign add --scan FILE")
	}
	if name == "help" {
		if len(rest) == 0 {
			c.overview()
			return nil
		}
		name, rest = rest[0], []string{"--help"}
	}
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd.run(c, cmd, rest)
		}
	}
	return usageErrorf("%q is not a command (see countersign --help)", name)
}

// parseLaunch parses what the GUI was started with: URIs to add, and
// global flags and --scan among them.
func (c *cli) parseLaunch(fs *flag.FlagSet, scan bool) (app.Launch, error) {
	l := app.Launch{Scan: scan}
	for rest := fs.Args(); len(rest) > 0; rest = fs.Args() {
		if !isLaunchURI(rest[0]) {
			if l.Scan && len(l.URIs) == 0 {
				return l, usageErrorf("--scan takes no file: it scans the screen; to add the codes of an image file: countersign add --scan FILE")
			}
			return l, usageErrorf("%.40q is not an otpauth://, otpauth-migration:// or countersign://activate URI (see countersign --help)", rest[0])
		}
		l.URIs = append(l.URIs, rest[0])
		if err := fs.Parse(rest[1:]); err != nil {
			return l, usageErrorf("%v (see countersign --help)", err)
		}
	}
	l.Scan = l.Scan || fs.Lookup("scan").Value.String() == "true"
	if len(l.URIs) > instance.MaxURIs {
		return l, usageErrorf("%d URIs; give at most %d at a time", len(l.URIs), instance.MaxURIs)
	}
	return l, c.checkStore()
}

// overview prints the top-level help.
func (c *cli) overview() {
	w := c.stdout
	fmt.Fprintln(w, "Countersign: an authenticator with rolling one-time codes that work offline.")
	fmt.Fprintln(w, "\nUsage:\n  countersign [global flags]            start the app (needs a display)")
	fmt.Fprintln(w, "  countersign [global flags] --scan     start it scanning the screen for a QR code to add")
	fmt.Fprintln(w, "  countersign [global flags] URI...     start it adding otpauth:// or otpauth-migration:// URIs,")
	fmt.Fprintln(w, "                                        or activating a countersign://activate URI")
	for _, cmd := range commands {
		for _, line := range strings.Split(cmd.usage, "\n") {
			fmt.Fprintln(w, "  countersign "+line)
		}
	}
	fmt.Fprintln(w, "\nCommands:")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-7s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nOne app runs per vault: starting it again shows the running one's window and hands it")
	fmt.Fprintln(w, "--scan or the URIs, then exits. The commands below work alongside it.")
	fmt.Fprintln(w, "\nGlobal flags (before or after the command):")
	fs := flag.NewFlagSet("countersign", flag.ContinueOnError)
	c.g.register(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nRun countersign COMMAND --help for the flags of a command. Exit status is 0 on success;\notherwise non-zero with a one-line reason on standard error.")
}

// flags returns the flag set of cmd with the global flags registered.
func (c *cli) flags(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.g.register(fs)
	return fs
}

// parse parses flags and positional arguments of cmd in any order, and
// checks the global flags. On --help it prints the command's help and
// returns flag.ErrHelp.
func (c *cli) parse(fs *flag.FlagSet, cmd *command, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.commandHelp(fs, cmd)
			return nil, err
		}
		if err != nil {
			return nil, usageErrorf("%s: %v (see countersign %s --help)", cmd.name, err, cmd.name)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, c.checkStore()
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			// Everything after "--" is positional.
			return append(pos, rest...), c.checkStore()
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// commandHelp prints the help of one command.
func (c *cli) commandHelp(fs *flag.FlagSet, cmd *command) {
	w := c.stdout
	fmt.Fprintln(w, "Usage:")
	for _, line := range strings.Split(cmd.usage, "\n") {
		fmt.Fprintln(w, "  countersign "+line)
	}
	fmt.Fprintf(w, "\n%s.\n\nFlags:\n", upperFirst(cmd.summary))
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// stringsFlag is a flag that may be given several times.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

// Set appends one value.
func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// label is how an account or a key is shown on a terminal: its issuer and
// name come from outside (a URI, a QR code, an imported file, a server's
// activation), so control, bidi and invisible characters are removed.
func label(p interface{ Label() string }) string {
	return textsafe.Clean(p.Label())
}
