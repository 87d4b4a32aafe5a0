package client_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/client"
	"github.com/countersign/countersign/push/client/clienttest"
	"github.com/countersign/countersign/push/server"
)

// adaPhone is a number of a range kept for drama (Ofcom), in E.164.
const adaPhone = "+442079460958"

// smsRequest starts a text-message sign-in of ada's and returns it with the
// code her phone received.
func smsRequest(t *testing.T, b *clienttest.Bench, c *client.Client, method push.Method) (push.AuthRequestState, string) {
	t.Helper()
	st, err := c.CreateRequestWith(t.Context(), "ada", method, signIn)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID == "" || st.Status != push.StatusCodeSent || st.Method != push.MethodSMS || st.Number != "" {
		t.Fatalf("a new text-message request: %+v; want code_sent, sms, no number", st)
	}
	return st, b.TextedCode(t, adaPhone, st.ID)
}

// TestSMSCode: a wrong code leaves the request waiting for the right one,
// which approves it; Wait, in another goroutine as in another process,
// sees the approval; the code does not sign in a second request.
func TestSMSCode(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	b.AddPhoneUser(t, "ada", adaPhone)
	c := client.New(b.URL, b.APIKey)
	st, code := smsRequest(t, b, c, push.MethodSMS)
	result := waitFor(c, st.ID)

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	got, err := c.VerifyRequestCode(t.Context(), st.ID, wrong)
	if !errors.Is(err, client.ErrWrongCode) || got.Status != push.StatusCodeSent || got.ID != st.ID {
		t.Fatalf("a wrong code: %+v, %v; want code_sent and ErrWrongCode", got, err)
	}
	got, err = c.VerifyRequestCode(t.Context(), st.ID, code[:3]+" "+code[3:])
	if err != nil || got.Status != push.StatusApproved || got.DecidedAt.IsZero() {
		t.Fatalf("the texted code: %+v, %v; want approved", got, err)
	}
	if final, err := result(t); err != nil || final.Status != push.StatusApproved {
		t.Fatalf("Wait: %+v, %v; want approved", final, err)
	}

	st2, code2 := smsRequest(t, b, c, push.MethodAuto) // ada's default method is sms
	// (One time in a million the new code is the old one: then there is
	// nothing to replay.)
	if got, err := c.VerifyRequestCode(t.Context(), st2.ID, code); code2 != code && (!errors.Is(err, client.ErrWrongCode) || got.Status != push.StatusCodeSent) {
		t.Fatalf("the first request's code on the second: %+v, %v; want ErrWrongCode", got, err)
	}
}

// TestSMSTooManyWrongCodes: the third wrong code denies the request; it is
// not an error of the call, and the right code no longer approves.
func TestSMSTooManyWrongCodes(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	b.AddPhoneUser(t, "ada", adaPhone)
	c := client.New(b.URL, b.APIKey)
	st, code := smsRequest(t, b, c, push.MethodSMS)
	var wrong []string
	for _, w := range []string{"000000", "111111", "222222", "333333"} {
		if w != code && len(wrong) < 3 {
			wrong = append(wrong, w)
		}
	}
	for i, w := range wrong {
		got, err := c.VerifyRequestCode(t.Context(), st.ID, w)
		if i < 2 && (!errors.Is(err, client.ErrWrongCode) || got.Status != push.StatusCodeSent) {
			t.Fatalf("wrong code %d: %+v, %v", i+1, got, err)
		}
		if i == 2 && (err != nil || got.Status != push.StatusDenied || got.Reason != "too_many_wrong_codes") {
			t.Fatalf("the third wrong code: %+v, %v; want denied, too_many_wrong_codes", got, err)
		}
	}
	if got, err := c.VerifyRequestCode(t.Context(), st.ID, code); err != nil || got.Status != push.StatusDenied {
		t.Fatalf("the right code after the denial: %+v, %v; want the request denied as it is", got, err)
	}
}

// TestSMSRefused: a text-message sign-in of a user without a phone number
// is refused with method_not_available; a code for a push request, or for
// an unknown request, is refused too.
func TestSMSRefused(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	phone := b.AddUser(t, "grace")
	c := client.New(b.URL, b.APIKey)
	_, err := c.CreateRequestWith(t.Context(), "grace", push.MethodSMS, signIn)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != client.CodeMethodNotAvailable || ce.HTTPStatus != http.StatusConflict {
		t.Fatalf("sms for a user without a phone number: %v; want method_not_available (HTTP 409)", err)
	}
	st := create(t, c, "grace")
	if _, err := c.VerifyRequestCode(t.Context(), st.ID, phone.Code(t)); !errors.As(err, &ce) || ce.Code != "bad_request" {
		t.Fatalf("a code for a push request: %v; want bad_request", err)
	}
	if _, err := c.VerifyRequestCode(t.Context(), "no-such-request", "123456"); !errors.As(err, &ce) || ce.Code != client.CodeNotFound || ce.HTTPStatus != http.StatusNotFound {
		t.Fatalf("a code for an unknown request: %v; want not_found (HTTP 404)", err)
	}
	if _, err := c.VerifyRequestCode(t.Context(), "", "123456"); err == nil || !strings.Contains(err.Error(), "request id is empty") {
		t.Fatalf("no request id: %v", err)
	}
}
