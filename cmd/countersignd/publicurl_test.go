package main

import (
	"strings"
	"testing"
)

// TestServeWarnsWhenThePublicURLChanges: admin commands make enrollment
// links with the public URL the last serving process recorded. A serve
// whose --public-url differs from the recorded one says so (links sent
// out before, and other instances of the database, use the old one); the
// same URL again (with or without a trailing slash), or the first
// start, says nothing; enroll then links to the new one.
func TestServeWarnsWhenThePublicURLChanges(t *testing.T) {
	dir := t.TempDir()
	const warning = "the public URL differs from the one recorded by the last server on this database"

	first := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--public-url", "https://cs.example.com")
	first.stop(t)
	if strings.Contains(first.logs(), warning) {
		t.Fatalf("the first start warned:\n%s", first.logs())
	}
	// The same URL again, written with a trailing slash (the server
	// keeps it without one).
	again := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--public-url", "https://cs.example.com/")
	again.stop(t)
	if strings.Contains(again.logs(), warning) {
		t.Fatalf("a start with the same URL warned:\n%s", again.logs())
	}

	moved := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--public-url", "https://mfa.example.org")
	defer moved.stop(t)
	if want := `msg="` + warning + `; admin commands (enroll) now make links with this one, and every instance sharing the database should be given the same --public-url" public_url=https://mfa.example.org previous=https://cs.example.com`; !strings.Contains(moved.logs(), want) {
		t.Fatalf("no warning %q in:\n%s", want, moved.logs())
	}
	must(t, "user", "add", "ada", "--data", dir)
	if out := must(t, "enroll", "ada", "--data", dir); !strings.Contains(out, "https://mfa.example.org/enroll/") {
		t.Fatalf("enroll after the move printed:\n%s", out)
	}
}
