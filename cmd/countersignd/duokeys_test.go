package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRPDuoKeysShowsTheKeysAgain(t *testing.T) {
	dir := t.TempDir()
	var added struct {
		IKey        string `json:"ikey"`
		SKey        string `json:"skey"`
		APIHostname string `json:"api_hostname"`
	}
	if err := json.Unmarshal([]byte(must(t, "rp", "add", "vpn", "--json", "--data", dir)), &added); err != nil {
		t.Fatal(err)
	}
	var again struct {
		Name        string `json:"name"`
		IKey        string `json:"ikey"`
		SKey        string `json:"skey"`
		APIHostname string `json:"api_hostname"`
	}
	if err := json.Unmarshal([]byte(must(t, "rp", "duo-keys", "vpn", "--json", "--data", dir)), &again); err != nil {
		t.Fatal(err)
	}
	if again.Name != "vpn" || again.IKey != added.IKey || again.SKey != added.SKey || len(again.SKey) != 40 || again.APIHostname != added.APIHostname || again.APIHostname != "127.0.0.1:8080" {
		t.Fatalf("duo-keys %+v, rp add said %+v", again, added)
	}
	if out := must(t, "rp", "duo-keys", "vpn", "--data", dir); out != "Duo Auth API keys of vpn: integration key "+added.IKey+", secret key "+added.SKey+", API hostname "+added.APIHostname+"\n" {
		t.Fatalf("duo-keys: %q", out)
	}
	if code, _, stderr := countersignd("rp", "duo-keys", "nope", "--data", dir); code != 1 || !strings.Contains(stderr, "countersignd rp add nope") {
		t.Fatalf("an unknown application: %d %q", code, stderr)
	}
}
