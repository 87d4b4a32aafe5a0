package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// TestWebhookFailureLogHoldsNoURLToken: a webhook that cannot be reached
// (here nothing listens on its port) is logged with the application and
// the host, but not the URL, whose path or query often holds a token of
// the receiving service. The request's expiry is what calls the webhook.
func TestWebhookFailureLogHoldsNoURLToken(t *testing.T) {
	logs := &syncBuffer{}
	s := servertest.Start(t, server.Config{RequestTTL: time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err := s.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	const secret = "hooksecret-7f3a9c"
	key, _, err := s.AddRelyingParty("shop", "http://127.0.0.1:1/hooks/"+secret+"?token="+secret)
	if err != nil {
		t.Fatal(err)
	}
	pushtest.AdminDevice(t, s, "ada", "phone")
	body, _ := json.Marshal(push.AuthRequestBody{User: "ada"})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/auth-requests", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("sign-in: HTTP %d", resp.StatusCode)
	}
	deadline := time.Now().Add(pushtest.Wait)
	for !strings.Contains(logs.String(), `msg="webhook failed"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no failed webhook logged within %s:\n%s", pushtest.Wait, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	log := logs.String()
	if !strings.Contains(log, `msg="webhook failed" rp=shop host=127.0.0.1:1 err="dial tcp 127.0.0.1:1: connect: connection refused"`) {
		t.Errorf("the failure is not logged with its application, host and reason:\n%s", log)
	}
	if strings.Contains(log, secret) {
		t.Errorf("the log holds the webhook URL's token:\n%s", log)
	}
}
