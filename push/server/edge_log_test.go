package server_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// TestRefusalLogHoldsNoEnrollmentToken: a request refused at the edge
// (another host name, as when a user opens the link by the server's
// address; a foreign page's POST) is logged with its path, but an
// enrollment link's token in that path, which opens the user's activation
// code, is logged as {token}.
func TestRefusalLogHoldsNoEnrollmentToken(t *testing.T) {
	logs := &syncBuffer{}
	s := servertest.Start(t, server.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	token, port := enrollBob(t, s)

	page, _ := http.NewRequest(http.MethodGet, s.URL+"/enroll/"+token, nil)
	page.Host = "countersign.internal" + port
	confirm, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/enrollments/"+token+"/confirm", strings.NewReader(`{}`))
	confirm.Header.Set("Content-Type", "application/json")
	confirm.Header.Set("Origin", "http://evil.example"+port)
	for _, req := range []*http.Request{page, confirm} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s %s: HTTP %d, want 403", req.Method, req.URL.Path, resp.StatusCode)
		}
	}
	log := logs.String()
	for _, want := range []string{`why=host host=countersign.internal` + port + ` origin="" path=/enroll/{token}`, `why=origin`, `path=/v1/enrollments/{token}/confirm`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, token) {
		t.Errorf("the log holds the enrollment token %s:\n%s", token, log)
	}
}

// enrollBob adds the user bob to s and makes his enrollment link: its
// token, and the server's port as ":PORT" (for host names of its own).
func enrollBob(t *testing.T, s *servertest.Server) (token, port string) {
	t.Helper()
	if err := s.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	enr, err := s.Enroll("bob")
	if err != nil {
		t.Fatal(err)
	}
	return enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:], s.Addr[strings.LastIndex(s.Addr, ":"):]
}
