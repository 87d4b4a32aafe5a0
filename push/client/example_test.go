package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/client"
	"github.com/countersign/countersign/push/client/clienttest"
)

// An application asks Ada to approve her sign-in on her phone: it shows
// the number on the sign-in page, she types it in the app, and the
// application waits for her answer.
func Example() {
	ctx := context.Background()
	c := client.New(serverURL, apiKey)
	st, err := c.CreateRequest(ctx, "ada", push.Context{App: "Payroll web", IP: "203.0.113.7", Location: "Lyon, FR", UserAgent: "Firefox 140"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Status)
	showOnSignInPage(st.Number)
	st, err = c.Wait(ctx, st.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Status)
	if st.Status == push.StatusApproved {
		fmt.Println("signed in")
	}
	// Output:
	// pending
	// approved
	// signed in
}

// Grace types the six-digit code from her authenticator app; the same code
// cannot be used twice.
func ExampleClient_VerifyCode() {
	ctx := context.Background()
	c := client.New(serverURL, apiKey)
	code := typedByGrace()
	if err := c.VerifyCode(ctx, "grace", code); err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in")
	err := c.VerifyCode(ctx, "grace", code)
	if errors.Is(err, client.ErrWrongCode) {
		fmt.Println("refused:", err)
	}
	// Output:
	// signed in
	// refused: countersign: the code is not right; ask the user to type the code again
}

// Katherine has no app: she signs in with a code sent to her phone by text
// message, and types it on the sign-in page.
func ExampleClient_VerifyRequestCode() {
	ctx := context.Background()
	c := client.New(serverURL, apiKey)
	st, err := c.CreateRequestWith(ctx, "katherine", push.MethodSMS, push.Context{App: "Payroll web", IP: "203.0.113.7"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Status)
	// A mistyped code: she may try again (three times in all).
	st, err = c.VerifyRequestCode(ctx, st.ID, "12345")
	fmt.Println(st.Status, errors.Is(err, client.ErrWrongCode))
	st, err = c.VerifyRequestCode(ctx, st.ID, typedByKatherine(st.ID))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Status)
	// Output:
	// code_sent
	// code_sent true
	// approved
}

// Bob has no device yet: the server answers enrollment_required with the
// page where he adds one.
func ExampleError() {
	c := client.New(serverURL, apiKey)
	_, err := c.CreateRequest(context.Background(), "bob", push.Context{IP: "203.0.113.7"})
	var ce *client.Error
	if errors.As(err, &ce) && ce.Code == client.CodeEnrollmentRequired {
		// Send Bob to ce.EnrollURL.
		fmt.Println(ce.Code, ce.HTTPStatus, strings.HasPrefix(ce.EnrollURL, serverURL+"/enroll/"))
	}
	// Output:
	// enrollment_required 409 true
}

// A server with a certificate of your own CA: trust that CA's certificate.
func ExampleWithHTTPClient() {
	pemBytes, err := os.ReadFile(caFile) // e.g. /etc/countersign/ca.pem
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		log.Fatal("no certificate in ", caFile)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	c := client.New(tlsURL, apiKey, client.WithHTTPClient(hc))
	err = c.VerifyCode(context.Background(), "alan", typedByAlan())
	fmt.Println("signed in:", err == nil)
	// Output:
	// signed in: true
}

// What follows stands in for the person and the web page of the examples.

// showOnSignInPage is the application's page showing the number; here Ada,
// reading it, types it on her phone, whose real device client approves.
func showOnSignInPage(number string) {
	phones["ada"].Answer(mainT, push.Approve, number)
}

// typedByGrace is the code Grace's phone shows now, as she types it.
func typedByGrace() string { return phones["grace"].Code(mainT) }

// typedByAlan is the code Alan's phone shows now.
func typedByAlan() string { return phones["alan"].Code(mainT) }

// typedByKatherine is the code of the text message of request id, which
// Katherine reads on her phone (here the server's file gateway).
func typedByKatherine(id string) string { return bench.TextedCode(mainT, katherinePhone, id) }

// The examples' server over TLS, with a test certificate written to caFile.
var tlsURL, caFile string

// startTLS serves the bench's API over TLS too (httptest's certificate)
// and writes the certificate where ExampleWithHTTPClient reads it.
func startTLS(b *clienttest.Bench) {
	ts := httptest.NewTLSServer(b.Handler())
	mainT.Cleanup(ts.Close)
	tlsURL = ts.URL
	caFile = filepath.Join(mainT.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(caFile, cert, 0o644); err != nil {
		mainT.Fatal(err)
	}
}
