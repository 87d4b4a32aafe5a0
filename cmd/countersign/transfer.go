package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/internal/qr"
	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/vault"
	"github.com/countersign/countersign/vault/transfer"
)

// cmdImport imports the accounts of a file: all that are new, or none.
// Duplicates (the same type, secret, issuer and name) are reported and
// left out. The format is detected unless --from names it; an encrypted
// file's password comes from --password-file or a prompt that says it is
// the file's, never from the vault's --passphrase-file.
func cmdImport(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	from := fs.String("from", "", "the `FORMAT` of the file, if detecting it is not enough: "+formatList())
	passwordFile := fs.String("password-file", "", "a `FILE` holding the password of an encrypted export (not the vault's passphrase)")
	dryRun := fs.Bool("dry-run", false, "show what would be imported, and import nothing")
	yes := fs.Bool("yes", false, "do not ask before adding (on a terminal, import shows what it will add and asks)")
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("import: give one FILE (a directory of QR images for Google Authenticator exports)")
	}
	data, err := readImport(pos[0])
	if err != nil {
		return err
	}
	var format transfer.Format
	if *from != "" {
		if format, err = transfer.ParseFormat(*from); err != nil {
			return usageErrorf("import: --from %s: %v", *from, err)
		}
	} else {
		d, err := transfer.Detect(data)
		if err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
		format = d.Format
	}
	var pass []byte
	if transfer.Encrypted(format, data) {
		if pass, err = c.filePassword(pos[0], *passwordFile, false); err != nil {
			return err
		}
	}
	result, err := transfer.Decode(format, data, pass)
	clear(pass)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	plan, err := authenticator.PlanImport(v, format, result)
	if err != nil {
		return err
	}
	for _, e := range plan.Entries {
		switch {
		case e.TwiceInFile:
			fmt.Fprintf(c.stdout, "duplicate\t%s\tappears twice in the file\n", label(e.Key))
		case e.Duplicate:
			fmt.Fprintf(c.stdout, "duplicate\t%s\talready in the vault as %s\n", label(e.Key), label(e.InVault))
		}
	}
	for _, s := range plan.Skipped {
		fmt.Fprintf(c.stdout, "not kept\t%s\t%s\n", textsafe.Clean(s.Label), textsafe.Clean(s.Reason))
	}
	fresh := plan.New()
	if *dryRun {
		for _, k := range fresh {
			fmt.Fprintf(c.stdout, "would add\t%s\n", label(k))
		}
		return nil
	}
	if len(fresh) == 0 {
		fmt.Fprintln(c.stdout, "nothing new to import")
		return nil
	}
	if !*yes && c.stdin != nil && term.IsTerminal(int(c.stdin.Fd())) {
		for _, k := range fresh {
			fmt.Fprintf(c.stdout, "will add\t%s\n", label(k))
		}
		fmt.Fprintf(c.stderr, "Add these %d account(s)? [y/N] ", len(fresh))
		answer, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(c.stdout, "nothing was imported")
			return nil
		}
	}
	added, err := authenticator.ApplyImport(v, fresh)
	if err != nil {
		return fmt.Errorf("importing: %w; nothing was imported", err)
	}
	for _, a := range added {
		fmt.Fprintf(c.stdout, "added\t%s\t%s\n", a.ID, label(a))
	}
	return nil
}

// cmdExport writes the vault's accounts to a file: those matching the
// query (as `countersign code QUERY` matches them), or all.
func cmdExport(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	to := fs.String("to", "", "the `FORMAT` to write: "+exportFormatList())
	passwordFile := fs.String("password-file", "", "a `FILE` holding the password to encrypt the export with (not the vault's passphrase)")
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	format, err := transfer.ParseFormat(*to)
	if err != nil || len(pos) < 1 || !format.CanExport() {
		return usageErrorf("export: give --to FORMAT, one FILE, and optionally a QUERY to export only the matching accounts (FORMAT: %s)", exportFormatList())
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	accounts := v.Accounts()
	if query := strings.Join(pos[1:], " "); query != "" {
		if accounts = v.Search(query); len(accounts) == 0 {
			return fmt.Errorf("no account matches %q (countersign list shows them all); nothing was exported", query)
		}
	}
	if len(accounts) == 0 {
		return errors.New("the vault has no account to export")
	}
	e, err := authenticator.CollectExport(v, accounts, format)
	if err != nil {
		return err
	}
	keys, left := e.Keys, e.LeftOut
	if len(keys) == 0 { // a Google export that can hold none of them
		var why []string
		for _, s := range left {
			why = append(why, textsafe.Clean(s.Label)+": "+textsafe.Clean(s.Reason))
		}
		return fmt.Errorf("Google Authenticator cannot hold any of these accounts (%s); nothing was exported", strings.Join(why, "; "))
	}
	var pass []byte
	if format.NeedsPassphrase() || *passwordFile != "" {
		if pass, err = c.filePassword(pos[0], *passwordFile, true); err != nil {
			return err
		}
	}
	if format == transfer.Google {
		if err := writeGoogleQRCodes(c, keys, pos[0]); err != nil {
			return err
		}
		for _, s := range left {
			fmt.Fprintf(c.stdout, "left out\t%s\t%s\n", textsafe.Clean(s.Label), textsafe.Clean(s.Reason))
		}
		return nil
	}
	data, err := transfer.Encode(format, keys, pass)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pos[0], data, 0o600); err != nil {
		return fmt.Errorf("writing the export: %w", err)
	}
	fmt.Fprintf(c.stdout, "exported %d accounts to %s (%s)\n", len(keys), pos[0], format)
	return nil
}

func formatList() string {
	var names []string
	for _, f := range transfer.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

func exportFormatList() string {
	var names []string
	for _, f := range transfer.Formats() {
		if f.CanExport() {
			names = append(names, string(f))
		}
	}
	return strings.Join(names, ", ")
}

// readImport reads what import was given (see authenticator.ReadImport):
// a file, an image of export QR codes, or a directory of them.
func readImport(path string) ([]byte, error) { return authenticator.ReadImport(path, nil) }

// writeGoogleQRCodes writes the export as batchN.png QR images in dir, to
// scan with Google Authenticator.
func writeGoogleQRCodes(c *cli, keys []vault.Key, dir string) error {
	uris, err := transfer.GoogleBatches(keys, transfer.GoogleBatchSize)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for i, uri := range uris {
		data, err := qr.PNG(uri, 600)
		if err != nil {
			return fmt.Errorf("QR code %d: %w", i+1, err)
		}
		name := filepath.Join(dir, fmt.Sprintf("batch%d.png", i+1))
		if err := os.WriteFile(name, data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	fmt.Fprintf(c.stdout, "exported %d accounts as %d QR codes in %s: scan them with Google Authenticator (Transfer accounts → Import)\n", len(keys), len(uris), dir)
	return nil
}
