package authenticator

import (
	"errors"
	"slices"
	"testing"

	"github.com/countersign/countersign/vault"
	"github.com/countersign/countersign/vault/transfer"
)

const (
	githubURI = "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
	gitlabURI = "otpauth://totp/GitLab:bob?secret=MFRGGZDFMZTWQ2LK&issuer=GitLab"
	rfcURI    = "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=RFC"
	steamURI  = "otpauth://totp/Steam:ada?secret=GEZDGNBVGY3TQOJQ&encoder=steam"
	hotpURI   = "otpauth://hotp/Bank:card?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=4&issuer=Bank"
)

// entryLine sums an entry up: its label and what it is.
func entryLine(e ImportEntry) string {
	switch {
	case e.TwiceInFile:
		return e.Key.Label() + ": twice in the file"
	case e.Duplicate:
		return e.Key.Label() + ": in the vault as " + e.InVault.Label()
	}
	return e.Key.Label() + ": new"
}

func TestPlanKeysSaysNewOrDuplicate(t *testing.T) {
	v := testVault(t, githubURI, gitlabURI)
	github := v.Accounts()[0]
	otherSecret := key(t, "otpauth://totp/GitHub:ada?secret=MFRGGZDFMZTWQ2LK&issuer=GitHub")
	hotp := key(t, hotpURI)
	entries, err := PlanKeys(v, []vault.Key{key(t, githubURI), key(t, rfcURI), otherSecret, key(t, rfcURI), hotp, key(t, githubURI)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, entryLine(e))
	}
	want := []string{
		"GitHub (ada): in the vault as GitHub (ada)",
		"RFC (sha1): new",
		"GitHub (ada): new", // the same name with another secret is another account
		"RFC (sha1): twice in the file",
		"Bank (card): new",
		"GitHub (ada): in the vault as GitHub (ada)", // in the vault first, not "twice"
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan:\n got %q\nwant %q", got, want)
	}
	if entries[0].InVault.ID != github.ID || entries[5].InVault.ID != github.ID {
		t.Fatalf("the duplicates name account %q and %q, want %q", entries[0].InVault.ID, entries[5].InVault.ID, github.ID)
	}
	if n := len(v.Accounts()); n != 2 {
		t.Fatalf("planning changed the vault: %d accounts", n)
	}
}

// TestDecodeImportThenApply reads a real encrypted Countersign backup: a
// wrong password is ErrWrongPassphrase, the right one plans the new
// accounts, and applying the chosen ones adds just those; planned again,
// the file is all duplicates.
func TestDecodeImportThenApply(t *testing.T) {
	v := testVault(t, githubURI)
	data, err := transfer.Encode(transfer.Countersign, []vault.Key{key(t, githubURI), key(t, rfcURI), key(t, gitlabURI), key(t, hotpURI)}, []byte("long passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeImport(v, "", data, []byte("wrong")); !errors.Is(err, transfer.ErrWrongPassphrase) {
		t.Fatalf("wrong password: %v, want ErrWrongPassphrase", err)
	}
	plan, err := DecodeImport(v, "", data, []byte("long passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Format != transfer.Countersign || plan.Duplicates() != 1 || len(plan.Skipped) != 0 {
		t.Fatalf("plan: format %q, %d duplicates, skipped %v", plan.Format, plan.Duplicates(), plan.Skipped)
	}
	if got, want := labels(plan.New()), []string{"RFC (sha1)", "GitLab (bob)", "Bank (card)"}; !slices.Equal(got, want) {
		t.Fatalf("new: %q, want %q", got, want)
	}
	// The user unticks GitLab.
	added, err := ApplyImport(v, []vault.Key{plan.New()[0], plan.New()[2]})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].Label() != "RFC (sha1)" || added[1].Label() != "Bank (card)" {
		t.Fatalf("added %v", added)
	}
	if got, want := accountLabels(v), []string{"GitHub (ada)", "RFC (sha1)", "Bank (card)"}; !slices.Equal(got, want) {
		t.Fatalf("vault: %q, want %q", got, want)
	}
	k, err := v.Key(added[1].ID)
	if err != nil || k.Counter != 4 {
		t.Fatalf("the HOTP account's counter: %d, %v; want 4", k.Counter, err)
	}
	again, err := DecodeImport(v, transfer.Countersign, data, []byte("long passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labels(again.New()), []string{"GitLab (bob)"}; !slices.Equal(got, want) || again.Duplicates() != 3 {
		t.Fatalf("planned again: new %q (want %q), %d duplicates (want 3)", got, want, again.Duplicates())
	}
	if added, err := ApplyImport(v, nil); err != nil || added != nil || len(v.Accounts()) != 3 {
		t.Fatalf("applying none: %v, %v, %d accounts", added, err, len(v.Accounts()))
	}
}

// TestApplyImportIsAllOrNothing: a chosen key already in the vault (added
// since the plan, by the CLI say) refuses the whole import.
func TestApplyImportIsAllOrNothing(t *testing.T) {
	v := testVault(t, githubURI)
	_, err := ApplyImport(v, []vault.Key{key(t, rfcURI), key(t, githubURI)})
	if dup, ok := errors.AsType[*vault.DuplicateError](err); !ok || dup.Existing.Label() != "GitHub (ada)" {
		t.Fatalf("err %v, want a DuplicateError naming GitHub (ada)", err)
	}
	if got := accountLabels(v); !slices.Equal(got, []string{"GitHub (ada)"}) {
		t.Fatalf("vault after a refused import: %q", got)
	}
}

// TestDecodeImportOfAGoogleExport: a Google Authenticator export read
// from its URI, its format detected, its accounts planned.
func TestDecodeImportOfAGoogleExport(t *testing.T) {
	v := testVault(t, gitlabURI)
	data := []byte(migration(t, gitlabURI, rfcURI))
	plan, err := DecodeImport(v, "", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Format != transfer.Google || plan.Duplicates() != 1 || !slices.Equal(labels(plan.New()), []string{"RFC (sha1)"}) {
		t.Fatalf("plan: format %q, %d duplicates, new %q", plan.Format, plan.Duplicates(), labels(plan.New()))
	}
	if _, err := DecodeImport(v, "", []byte("not an export at all"), nil); err == nil {
		t.Fatal("a text that is no export was planned")
	}
}
