package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf16"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/vault"
)

// maxUnix is the last second of year 9999, the latest time RFC 3339 can write.
const maxUnix = 253402300799

// accountJSON is an account as list --json prints it: never its secret.
type accountJSON struct {
	ID        string          `json:"id"`
	Issuer    string          `json:"issuer"`
	Name      string          `json:"name"`
	Type      vault.Type      `json:"type"`
	Algorithm vault.Algorithm `json:"algorithm"`
	Digits    int             `json:"digits"`
	Period    int             `json:"period"`
	Counter   uint64          `json:"counter"`
}

// codeJSON is an account with its current code, as code --json prints it.
// ExpiresAt is empty (omitted) for HOTP accounts, whose codes do not expire.
type codeJSON struct {
	accountJSON
	Code      string `json:"code"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

func toJSON(a vault.Account) accountJSON {
	return accountJSON{ID: a.ID, Issuer: a.Issuer, Name: a.Name, Type: a.Type,
		Algorithm: a.Algorithm, Digits: a.Digits, Period: a.Period, Counter: a.Counter}
}

// parseAt parses --at: whole seconds since 1970, from 0 to the year 9999.
func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, usageErrorf("--at: %q is not a Unix time (whole seconds since 1970-01-01 UTC)", s)
	}
	if n < 0 || n > maxUnix {
		return time.Time{}, usageErrorf("--at: %d is out of range (0 to %d)", n, maxUnix)
	}
	return time.Unix(n, 0), nil
}

// cmdCode prints one code from --uri, or the current codes of the vault.
func cmdCode(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	uri := fs.String("uri", "", "compute the code of this otpauth:// `URI` alone; the vault is not opened")
	at := fs.String("at", "", "compute the code at this `UNIX` time (seconds since 1970) instead of now")
	asJSON := fs.Bool("json", false, "print a JSON array of the accounts with code and expires_at")
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	t, err := parseAt(*at)
	if err != nil {
		return err
	}
	if *uri != "" {
		if len(pos) > 0 {
			return usageErrorf("code: give --uri or a QUERY, not both")
		}
		if *asJSON {
			return usageErrorf("code: --json applies to the vault's codes, not to --uri")
		}
		return codeFromURI(c, *uri, t)
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()

	query := strings.Join(pos, " ")
	accounts := v.Accounts()
	if query != "" {
		accounts = v.Search(query)
		if len(accounts) == 0 {
			return fmt.Errorf("no account matches %q (countersign list shows them all)", query)
		}
	}
	out := make([]codeJSON, 0, len(accounts))
	ends := make([]time.Time, 0, len(accounts))
	for _, a := range accounts {
		code, err := v.Code(a.ID, t)
		if err != nil {
			return fmt.Errorf("computing the code of %s: %w", a.Label(), err)
		}
		cj := codeJSON{accountJSON: toJSON(a), Code: code.Value}
		if !code.End.IsZero() {
			cj.ExpiresAt = code.End.UTC().Format(time.RFC3339)
		}
		out = append(out, cj)
		ends = append(ends, code.End)
	}
	if *asJSON {
		return writeJSON(c, out)
	}
	// One line per account: "Issuer (name)  123456  12s", columns aligned.
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for i, a := range accounts {
		left := "counter " + strconv.FormatUint(a.Counter, 10)
		if !ends[i].IsZero() {
			left = strconv.Itoa(int(math.Ceil(ends[i].Sub(t).Seconds()))) + "s"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label(a), out[i].Code, left)
	}
	return tw.Flush()
}

// codeFromURI prints the code of one otpauth URI at t, digits only.
func codeFromURI(c *cli, uri string, t time.Time) error {
	if vault.IsMigrationURI(uri) {
		return errors.New("code --uri takes one otpauth:// URI; add a Google Authenticator export with countersign add")
	}
	k, err := vault.ParseURI(uri)
	if err != nil {
		return err
	}
	code, err := k.CodeAt(t)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.stdout, code)
	return err
}

// writeJSON prints v as indented JSON followed by a newline.
//
// JSON keeps the text from outside (an account's issuer and name, a sign-in
// request's fields) as it is: a script gets what the server or the file
// said, and decoding gives it back exactly. What could harm a terminal is
// escaped, not removed: encoding/json already writes C0 controls as \u00XX,
// and jsonSafe writes the rest (DEL, C1 controls, bidi and invisible format
// characters, which it leaves raw) as \uXXXX too, so the bytes printed are
// harmless on a terminal and the JSON still decodes to the raw text.
func writeJSON(c *cli, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	_, err = fmt.Fprintln(c.stdout, jsonSafe(b))
	return err
}

// jsonSafe escapes, as \uXXXX, every character of the JSON text b that
// textsafe would remove. Outside strings JSON has only ASCII punctuation,
// digits, letters and the indentation's spaces and newlines (kept); inside
// strings encoding/json has escaped every character below U+0020, so each
// character escaped here is inside a string, where \uXXXX means itself.
func jsonSafe(b []byte) string {
	var out strings.Builder
	out.Grow(len(b))
	for _, r := range string(b) {
		if r == '\n' || r == ' ' || textsafe.IsClean(string(r)) {
			out.WriteRune(r)
			continue
		}
		if r > 0xFFFF {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
			continue
		}
		fmt.Fprintf(&out, "\\u%04x", r)
	}
	return out.String()
}
