package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

var recoveryCodeShape = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)

func TestNormalizeRecoveryCode(t *testing.T) {
	for typed, want := range map[string]string{
		"abcd-efgh-ijkl-mn23":             "abcdefghijklmn23",
		"ABCD EFGH IJKL MN23":             "abcdefghijklmn23",
		"  abcdEFGHijklMN23\t":            "abcdefghijklmn23",
		"a-b-c-d-e-f-g-h-i-j-k-l-m-n-2-3": "abcdefghijklmn23",
	} {
		if got, ok := normalizeRecoveryCode(typed); !ok || got != want {
			t.Errorf("normalize(%q) = %q %v, want %q", typed, got, ok, want)
		}
	}
	for _, typed := range []string{"", "123456", "abcd-efgh-ijkl-mn2", "abcd-efgh-ijkl-mn234", "abcd-efgh-ijkl-mn01", "abcd-efgh-ijkl-mn2é", "abcd_efgh_ijkl_mn23"} {
		if got, ok := normalizeRecoveryCode(typed); ok {
			t.Errorf("normalize(%q) accepted it as %q", typed, got)
		}
	}
	for typed, want := range map[string]push.Method{"123456": "otp", " 12345678 ": "otp", "2345-6723-4567-2345": "recovery", "abcd-efgh-ijkl-mn23": "recovery", "wrong": "otp", "": "otp"} {
		if got := codeMethod(typed); got != want {
			t.Errorf("codeMethod(%q) = %s, want %s", typed, got, want)
		}
	}
}

// TestRecoveryCodesSingleUse makes a user's codes, uses them through the
// relying-party API in every typed form, and shows each works once, that
// new codes end the old ones, that wrong ones count like wrong app codes,
// and that the devices are told of each use.
func TestRecoveryCodesSingleUse(t *testing.T) {
	// Thresholds high enough for the wrong codes below to be counted
	// without throttling.
	e := newEnv(t, Config{OTPThrottleAfter: 50, OTPBlockAfter: 100})
	p := e.activate("ada", "phone")
	if err := e.srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.NewRecoveryCodes("carol", "cli"); err == nil || err.Error() != `user "carol": not found` {
		t.Fatalf("codes for an unknown user: %v", err)
	}
	old, err := e.srv.NewRecoveryCodes("ada", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if n := p.notice(t, noticeRecoveryCodesMade); n.Text != "New recovery codes were made for your account (by cli); the old ones no longer work." {
		t.Fatalf("notice %+v", n)
	}
	codes, err := e.srv.NewRecoveryCodes("ada", "cli")
	if err != nil {
		t.Fatal(err)
	}
	p.notice(t, noticeRecoveryCodesMade)
	seen := map[string]bool{}
	for _, c := range append(codes, old...) {
		if !recoveryCodeShape.MatchString(c) || seen[c] {
			t.Fatalf("code %q: not of the shape xxxx-xxxx-xxxx-xxxx, or twice", c)
		}
		seen[c] = true
	}
	if len(codes) != 10 {
		t.Fatalf("%d codes, want 10", len(codes))
	}
	bobs, err := e.srv.NewRecoveryCodes("bob", "cli")
	if err != nil {
		t.Fatal(err)
	}
	// Only hashes are stored: no code is in the database files, shown or normalized.
	e.stop()
	var db []byte
	for _, f := range []string{"countersign.db", "countersign.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(e.dir, f))
		db = append(db, b...)
	}
	if len(db) == 0 {
		t.Fatal("no database read")
	}
	for _, c := range codes {
		norm, _ := normalizeRecoveryCode(c)
		if bytes.Contains(db, []byte(c)) || bytes.Contains(db, []byte(norm)) {
			t.Fatalf("the code %s is in the database", c)
		}
	}
	e.restart()
	p = e.connectAgain(p)

	// Any case, with or without dashes or with spaces; once each.
	forms := []string{codes[0], strings.ToUpper(codes[1]), strings.ReplaceAll(codes[2], "-", ""), strings.ReplaceAll(codes[3], "-", " ")}
	for i, typed := range forms {
		if !e.verify("ada", typed) {
			t.Fatalf("code %d (%q) refused", i, typed)
		}
		want := "A recovery code was used to sign in to your account; " + []string{"9", "8", "7", "6"}[i] + " left."
		if n := p.notice(t, noticeRecoveryCodeUsed); n.Text != want {
			t.Fatalf("notice %q, want %q", n.Text, want)
		}
	}
	for _, typed := range append(forms, old[4], bobs[0]) {
		if e.verify("ada", typed) {
			t.Fatalf("%q worked again, or an old or another user's code worked", typed)
		}
	}
	if n, _, _ := e.srv.Store().OTPFailures("ada"); n != 6 {
		t.Fatalf("%d failures counted, want 6: wrong recovery codes count like wrong app codes", n)
	}
	// An app code still works beside them (and clears the failures).
	e.clock.Add(time.Minute)
	if !e.verify("ada", e.codeOf(p.act)) {
		t.Fatal("the app code was refused")
	}
	if n, _, _ := e.srv.Store().OTPFailures("ada"); n != 0 {
		t.Fatalf("%d failures after a right code", n)
	}
	// Bob's codes are his.
	if !e.verify("bob", bobs[0]) {
		t.Fatal("bob's code refused")
	}

	// Two relying parties racing with one code: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := e.verifyFromGoroutine("ada", codes[4]); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d racing uses of one code won, want 1", wins.Load())
	}
	p.notice(t, noticeRecoveryCodeUsed)
	for _, c := range codes[5:] {
		if !e.verify("ada", c) {
			t.Fatalf("code %s refused", c)
		}
	}
	for range codes[5:9] {
		p.notice(t, noticeRecoveryCodeUsed)
	}
	if n := p.notice(t, noticeRecoveryCodeUsed); n.Text != "A recovery code was used to sign in to your account; none left: make new ones on the self-service page." {
		t.Fatalf("last notice %q", n.Text)
	}

	// The audit log: who made codes, and every check with its method and result.
	events, err := e.srv.Store().AuditEvents("ada")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		switch ev.Kind {
		case store.AuditRecoveryCodesCreated:
			got = append(got, "made by "+ev.Actor+" "+ev.Detail["count"])
		case store.AuditAuthentication:
			got = append(got, ev.Application+" "+ev.Method+" "+ev.Result)
		}
	}
	want := []string{"made by cli 10", "made by cli 10",
		"payroll recovery code-ok", "payroll recovery code-ok", "payroll recovery code-ok", "payroll recovery code-ok",
		"payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong",
		"payroll otp code-ok",
		"payroll recovery code-ok", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong", "payroll recovery code-wrong",
		"payroll recovery code-ok", "payroll recovery code-ok", "payroll recovery code-ok", "payroll recovery code-ok", "payroll recovery code-ok"}
	// The racing uses were audited in the order they came: compare sorted.
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// connectAgain reconnects an activated device after a restart.
func (e *env) connectAgain(p *phone) *phone {
	p.cancel()
	return e.connect(p.act)
}

// verifyFromGoroutine is verify for goroutines: errors are returned, not
// fatal.
func (e *env) verifyFromGoroutine(user, code string) (bool, error) {
	b, _ := json.Marshal(push.OTPVerifyBody{User: user, Code: code})
	req, _ := http.NewRequest("POST", "http://"+e.addr+"/v1/otp/verify", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var res push.OTPVerifyResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("verify: HTTP %d, %v", resp.StatusCode, err)
	}
	return res.Valid, nil
}

// TestSelfServiceRenewsRecoveryCodes renews the codes from a real
// self-service session: the first call asks for an approval on a device,
// the second, once approved, gets the codes, once.
func TestSelfServiceRenewsRecoveryCodes(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "phone")
	old, err := e.srv.NewRecoveryCodes("ada", "cli")
	if err != nil {
		t.Fatal(err)
	}
	p.notice(t, noticeRecoveryCodesMade)
	c := e.selfServiceFrom("127.0.0.1")
	if status, ae := c.signIn("ada", e.codeOf(p.act)); status != http.StatusOK {
		t.Fatalf("sign-in: %d %+v", status, ae)
	}
	var ae apiErr
	// Without a session: refused.
	anon := e.selfServiceFrom("127.0.0.1")
	if status := anon.do("POST", "/v1/self-service/recovery-codes", map[string]string{}, &ae); status != http.StatusUnauthorized || ae.Error.Code != "unauthorized" {
		t.Fatalf("without a session: %d %+v", status, ae)
	}
	var ap Approval
	if status := c.do("POST", "/v1/self-service/recovery-codes", map[string]string{}, &ap); status != http.StatusAccepted || ap.Status != "approval_pending" || ap.RequestID == "" || len(ap.Number) != 2 {
		t.Fatalf("ask: %d %+v", status, ap)
	}
	r := p.request(t)
	if r.ID != ap.RequestID || r.Application != "Countersign" || r.Context.App != "Make new recovery codes" || r.Context.IP != "127.0.0.1" {
		t.Fatalf("the device got %+v", r)
	}
	// One at a time, as for relying parties' pushes.
	if status := c.do("POST", "/v1/self-service/recovery-codes", map[string]string{}, &ae); status != http.StatusTooManyRequests || ae.Error.Code != "too_many_pending" {
		t.Fatalf("a second ask while one waits: %d %+v", status, ae)
	}
	body := map[string]string{"request_id": ap.RequestID}
	if status := c.do("POST", "/v1/self-service/recovery-codes", body, &ae); status != http.StatusConflict || ae.Error.Code != "approval_pending" {
		t.Fatalf("before the approval: %d %+v", status, ae)
	}
	if err := p.client.Answer(context.Background(), r, push.Approve, "", ap.Number); err != nil {
		t.Fatal(err)
	}
	if ev := p.result(t, r.ID); ev.Status != push.StatusApproved {
		t.Fatalf("result %+v", ev)
	}
	// Another user's session cannot fetch them.
	if err := e.srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	bp := e.activate("bob", "bob's phone")
	bc := e.selfServiceFrom("127.0.0.2")
	if status, ae := bc.signIn("bob", e.codeOf(bp.act)); status != http.StatusOK {
		t.Fatalf("bob's sign-in: %d %+v", status, ae)
	}
	if status := bc.do("POST", "/v1/self-service/recovery-codes", body, &ae); status != http.StatusNotFound || ae.Error.Code != "not_found" {
		t.Fatalf("bob fetching ada's codes: %d %+v", status, ae)
	}
	var got SelfRecoveryCodes
	if status := c.do("POST", "/v1/self-service/recovery-codes", body, &got); status != http.StatusOK || len(got.Codes) != 10 {
		t.Fatalf("fetch: %d %+v", status, got)
	}
	for _, code := range got.Codes {
		if !recoveryCodeShape.MatchString(code) {
			t.Fatalf("code %q", code)
		}
	}
	if n := p.notice(t, noticeRecoveryCodesMade); n.Text != "New recovery codes were made for your account (by self-service); the old ones no longer work." {
		t.Fatalf("notice %q", n.Text)
	}
	// Once: the same approval gives no second set.
	if status := c.do("POST", "/v1/self-service/recovery-codes", body, &ae); status != http.StatusNotFound || ae.Error.Message != "these recovery codes were made already; ask again for new ones" {
		t.Fatalf("second fetch: %d %+v", status, ae)
	}
	if e.verify("ada", old[0]) || !e.verify("ada", got.Codes[0]) {
		t.Fatal("the old codes still work, or the new ones do not")
	}

	// A denied approval gives no codes; nor does an approval fetched too late.
	for _, decision := range []push.Decision{push.Deny, push.Approve} {
		if status := c.do("POST", "/v1/self-service/recovery-codes", map[string]string{}, &ap); status != http.StatusAccepted {
			t.Fatalf("ask: %d", status)
		}
		r := p.request(t)
		if err := p.client.Answer(context.Background(), r, decision, "", ap.Number); err != nil {
			t.Fatal(err)
		}
		p.result(t, r.ID)
		want := "the request was denied, not approved; ask again"
		if decision == push.Approve {
			e.clock.Add(recoveryApprovalTTL + time.Second)
			want = "the approval is over 5m0s old; ask again"
		}
		if status := c.do("POST", "/v1/self-service/recovery-codes", map[string]string{"request_id": r.ID}, &ae); status != http.StatusForbidden || ae.Error.Message != want {
			t.Fatalf("after %s: %d %+v", decision, status, ae)
		}
	}
	if status := c.do("POST", "/v1/self-service/recovery-codes", map[string]string{"request_id": "nope"}, &ae); status != http.StatusNotFound {
		t.Fatalf("unknown request: %d %+v", status, ae)
	}
	if !e.verify("ada", got.Codes[1]) {
		t.Fatal("the codes of the spent approval stopped working")
	}
}

// TestVerifyPasscodeTakesRecoveryCodes: the code check of phone sign-ins
// takes a recovery code too, and names and audits its method.
func TestVerifyPasscodeTakesRecoveryCodes(t *testing.T) {
	e := newEnv(t, Config{})
	e.activate("ada", "phone")
	codes, err := e.srv.NewRecoveryCodes("ada", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := e.srv.VerifyPasscode("payroll", "ada", strings.ToUpper(codes[0])); err != nil || m != "recovery" {
		t.Fatalf("first use: %q %v", m, err)
	}
	var se *Error
	if m, err := e.srv.VerifyPasscode("payroll", "ada", codes[0]); !errors.As(err, &se) || se.Code != "wrong_code" || m != "" {
		t.Fatalf("second use: %q %v", m, err)
	}
	events, _ := e.srv.Store().AuditEvents("ada")
	var got []string
	for _, ev := range events {
		if ev.Kind == store.AuditAuthentication {
			got = append(got, ev.Application+" "+ev.Method+" "+ev.Result)
		}
	}
	if strings.Join(got, ", ") != "payroll recovery code-ok, payroll recovery code-wrong" {
		t.Fatalf("audit: %v", got)
	}
}
