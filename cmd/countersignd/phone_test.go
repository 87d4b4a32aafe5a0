package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/telephony"
)

// TestServePhoneSignIns follows the README: a user is given a phone, signs
// in once by text message and once by phone call through the file gateway
// (which stands in for a phone: nothing can be sent to a real one here),
// with the call's callback played as the gateway would, and both show in
// the usage report.
func TestServePhoneSignIns(t *testing.T) {
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox.jsonl")
	srv := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--telephony", "file:"+outbox, "--telephony-countries", "GB,US")
	if !strings.Contains(srv.logs(), "TELEPHONY IS A FILE: nothing is really sent") {
		t.Fatalf("serve does not say that nothing is really sent:\n%s", srv.logs())
	}
	base := "http://" + srv.addr
	client := &http.Client{Timeout: 30 * time.Second}

	must(t, "user", "add", "ada", "--data", dir)
	if out := must(t, "user", "phone", "ada", "+44 20 7946 0958", "--data", dir); out != "ada: phone +442079460958; methods: sms, voice; default: sms\n" {
		t.Fatalf("user phone: %q", out)
	}
	if code, _, stderr := countersignd("user", "phone", "ada", "020 7946 0958", "--data", dir); code != 1 || !strings.Contains(stderr, "+") {
		t.Fatalf("a number without its country code: %d %q", code, stderr)
	}
	rpOut := strings.Split(strings.TrimSpace(must(t, "rp", "add", "shop", "--data", dir)), "\n")
	key := rpOut[len(rpOut)-1]

	// Text message: the code arrives on the phone; the user types it.
	var st push.AuthRequestState
	if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodSMS}, &st); code != 201 || st.Status != push.StatusCodeSent {
		t.Fatalf("sms sign-in: %d %+v", code, st)
	}
	msg := lastMessage(t, outbox)
	smsCode := regexp.MustCompile(`\b\d{6}\b`).FindString(msg.Body)
	if msg.Kind != "sms" || msg.To != "+442079460958" || smsCode == "" {
		t.Fatalf("the text message: %+v", msg)
	}
	var verified push.AuthRequestState
	if code := api(t, client, key, "POST", base+"/v1/auth-requests/"+st.ID+"/verify", push.CodeBody{Code: smsCode}, &verified); code != 200 || verified.Status != push.StatusApproved {
		t.Fatalf("verify: %d %+v", code, verified)
	}

	// Phone call: the user presses #; the gateway calls back, signed.
	if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodVoice}, &st); code != 201 || st.Status != push.StatusPending {
		t.Fatalf("voice sign-in: %d %+v", code, st)
	}
	if call := lastMessage(t, outbox); call.Kind != "voice" || !strings.Contains(call.Script, "shop") {
		t.Fatalf("the call: %+v", call)
	}
	keyHex, err := os.ReadFile(filepath.Join(dir, "telephony-callback.key"))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(strings.TrimSpace(string(keyHex))) // the text is the key
	body, _ := json.Marshal(map[string]string{"id": st.ID, "digits": "#", "status": "completed"})
	req, _ := http.NewRequest("POST", base+"/v1/telephony/callback", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Countersign-Signature", telephony.SignCallback(secret, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	var final push.AuthRequestState
	if api(t, client, key, "GET", base+"/v1/auth-requests/"+st.ID+"?wait=5s", nil, &final); final.Status != push.StatusApproved {
		t.Fatalf("after the call the relying party sees %+v", final)
	}

	var usage struct {
		Authentications struct {
			ByMethod map[string]int `json:"by_method"`
			ByResult map[string]int `json:"by_result"`
		} `json:"authentications"`
		Telephony struct {
			ByKind    map[string]int `json:"by_kind"`
			ByCountry map[string]int `json:"by_country"`
		} `json:"telephony"`
	}
	if err := json.Unmarshal([]byte(must(t, "usage", "--json", "--data", dir)), &usage); err != nil {
		t.Fatal(err)
	}
	a, tel := usage.Authentications, usage.Telephony
	if a.ByMethod["sms"] != 1 || a.ByMethod["voice"] != 1 || a.ByResult["code-ok"] != 1 || a.ByResult["approved"] != 1 ||
		tel.ByKind["sms"] != 1 || tel.ByKind["voice"] != 1 || tel.ByCountry["GB"] != 2 {
		t.Fatalf("usage: %+v", usage)
	}
	srv.stop(t)
}

type outboxLine struct {
	Kind, To, Body, ID, Script string
}

// lastMessage returns the last line the file gateway wrote.
func lastMessage(t *testing.T, path string) outboxLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last outboxLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		last = outboxLine{}
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatal(err)
		}
	}
	return last
}
