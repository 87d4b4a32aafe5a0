package main

import (
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/scanner"
	"github.com/countersign/countersign/vault"
)

// cmdAdd adds accounts from URIs given as arguments, from QR codes in image
// files (--scan) or from a QR code on the screen (--screen). It adds all of
// them or none.
func cmdAdd(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	var files stringsFlag
	fs.Var(&files, "scan", "add the accounts of the QR codes in image `FILE` (PNG, JPEG, GIF, WebP); may be repeated")
	screen := fs.Bool("screen", false, "add the accounts of the QR codes shown on the screen (all monitors)")
	uris, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	if len(uris) == 0 && len(files) == 0 && !*screen {
		return usageErrorf("add: give an otpauth:// URI, - (the URI on standard input), --scan FILE or --screen (see countersign add --help)")
	}
	if uris, err = c.stdinArgs(cmd.name, uris); err != nil {
		return err
	}

	var keys []vault.Key
	for _, u := range uris {
		ks, err := authenticator.Keys(u)
		if err != nil {
			return err
		}
		keys = append(keys, ks...)
	}
	for _, f := range files {
		texts, err := scanner.DecodeFile(f)
		if err != nil {
			return err // it names the file
		}
		ks, err := authenticator.KeysFromTexts(texts)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		keys = append(keys, ks...)
	}
	if *screen {
		texts, err := scanner.ScanScreen()
		if err != nil {
			return fmt.Errorf("scanning the screen: %w", err)
		}
		ks, err := authenticator.KeysFromTexts(texts)
		if err != nil {
			return fmt.Errorf("the screen: %w", err)
		}
		keys = append(keys, ks...)
	}

	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	added, err := v.AddAll(keys)
	if err != nil {
		var dup *vault.DuplicateError
		if errors.As(err, &dup) {
			return fmt.Errorf("%s is already in the vault (id %s); nothing was added", dup.Existing.Label(), dup.Existing.ID)
		}
		return fmt.Errorf("adding: %w; nothing was added", err)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, a := range added {
		fmt.Fprintf(tw, "added\t%s\t%s\n", a.ID, label(a))
	}
	return tw.Flush()
}

// cmdList prints the accounts, never their secrets.
func cmdList(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	asJSON := fs.Bool("json", false, "print a JSON array of objects with id, issuer, name, type, algorithm, digits, period, counter")
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("list: takes no arguments (got %q)", pos[0])
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	accounts := v.Accounts()
	if *asJSON {
		out := make([]accountJSON, 0, len(accounts))
		for _, a := range accounts {
			out = append(out, toJSON(a))
		}
		return writeJSON(c, out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, a := range accounts {
		detail := fmt.Sprintf("%s %s %d digits", a.Type, a.Algorithm, a.Digits)
		if a.Type == vault.HOTP {
			detail += fmt.Sprintf(" counter %d", a.Counter)
		} else {
			detail += fmt.Sprintf(" %ds", a.Period)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, label(a), detail)
	}
	return tw.Flush()
}

// oneID returns the single ID argument of cmd.
func oneID(cmd *command, pos []string) (string, error) {
	if len(pos) != 1 {
		return "", usageErrorf("%s: give exactly one account ID (countersign list shows them)", cmd.name)
	}
	return pos[0], nil
}

// cmdRename changes the issuer or the name of an account.
func cmdRename(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	issuer := fs.String("issuer", "", "the new `ISSUER`")
	name := fs.String("name", "", "the new account `NAME`")
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	id, err := oneID(cmd, pos)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["issuer"] && !set["name"] {
		return usageErrorf("rename: give --issuer, --name or both")
	}
	return c.withAccount(id, func(v *vault.Vault, a vault.Account) error {
		if set["issuer"] {
			a.Issuer = *issuer
		}
		if set["name"] {
			a.Name = *name
		}
		if err := v.Rename(id, a.Issuer, a.Name); err != nil {
			return fmt.Errorf("renaming: %w", err)
		}
		a, _ = v.Account(id)
		_, err := fmt.Fprintf(c.stdout, "renamed %s  %s\n", id, label(a))
		return err
	})
}

// cmdDelete deletes an account and its secret.
func cmdDelete(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	id, err := oneID(cmd, pos)
	if err != nil {
		return err
	}
	return c.withAccount(id, func(v *vault.Vault, a vault.Account) error {
		if err := v.Delete(id); err != nil {
			return fmt.Errorf("deleting: %w", err)
		}
		_, err := fmt.Fprintf(c.stdout, "deleted %s  %s\n", id, label(a))
		return err
	})
}

// withAccount opens the vault and calls fn with account id.
func (c *cli) withAccount(id string, fn func(v *vault.Vault, a vault.Account) error) error {
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	a, ok := v.Account(id)
	if !ok {
		return fmt.Errorf("no account has id %q (countersign list shows them)", id)
	}
	return fn(v, a)
}
