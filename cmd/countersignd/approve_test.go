package main

import (
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/scanner"
)

// TestDeviceApproveAndStates: a device that joins a user who has one waits
// for an approval; devices lists it as such; an administrator's device
// approve lets it in, once.
func TestDeviceApproveAndStates(t *testing.T) {
	dir := t.TempDir()
	must(t, "user", "add", "ada", "--data", dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Open(dir, server.Config{PublicURL: "http://" + ln.Addr().String(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv.Handler()}}
	ts.Start()
	defer func() { ts.Close(); srv.Close() }()

	// A link from an application while ada had no device (no administrator
	// made it), then a device enrolled by the administrator.
	_, err = srv.CreateRequest("shop", push.AuthRequestBody{User: "ada"})
	var refusal *server.Error
	if !errors.As(err, &refusal) || refusal.Code != "enrollment_required" {
		t.Fatalf("sign-in without a device: %v", err)
	}
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	act, _ := push.ParseActivationURI(enr.ActivationURI)
	first, err := device.Activate(context.Background(), http.DefaultClient, act, "phone")
	if err != nil {
		t.Fatal(err)
	}
	second, err := device.Activate(context.Background(), http.DefaultClient, activationOfPage(t, refusal.EnrollURL), "laptop")
	if err != nil {
		t.Fatal(err)
	}

	var devices []deviceJSON
	json.Unmarshal([]byte(must(t, "devices", "ada", "--json", "--data", dir)), &devices)
	if len(devices) != 2 || devices[0].State != "active" || devices[1].State != "pending" || devices[1].Active || devices[1].Kind != "app" {
		t.Fatalf("devices: %+v", devices)
	}
	table := must(t, "devices", "ada", "--data", dir)
	if !strings.Contains(table, second.DeviceID+"  laptop  app   ") || !strings.HasSuffix(table, "waits for approval (countersignd device approve "+second.DeviceID+")\n") {
		t.Fatalf("devices table:\n%s", table)
	}
	if out := must(t, "device", "approve", second.DeviceID, "--data", dir); out != "approved device "+second.DeviceID+": it can now sign in; the user's other devices are told\n" {
		t.Fatalf("approve: %q", out)
	}
	json.Unmarshal([]byte(must(t, "devices", "ada", "--json", "--data", dir)), &devices)
	if devices[1].State != "active" {
		t.Fatalf("after approval: %+v", devices[1])
	}
	if code, _, stderr := countersignd("device", "approve", first.DeviceID, "--data", dir); code != 1 ||
		stderr != "countersignd: approving: not_pending: device "+first.DeviceID+" does not wait for an approval\n" {
		t.Fatalf("approving an active device: %d %q", code, stderr)
	}
	if code, _, stderr := countersignd("device", "frobnicate", "--data", dir); code != 2 ||
		stderr != "countersignd: device needs a subcommand: device revoke ID or device approve ID\n" {
		t.Fatalf("unknown device subcommand: %d %q", code, stderr)
	}
}

// activationOfPage reads the activation QR code of an enrollment page.
func activationOfPage(t *testing.T, enrollURL string) push.Activation {
	t.Helper()
	resp, err := http.Get(enrollURL + "/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	img, err := png.Decode(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	texts, err := scanner.Decode(img) // as the app reads it
	if err != nil || len(texts) != 1 {
		t.Fatalf("the page's QR code: %v %v", texts, err)
	}
	act, err := push.ParseActivationURI(texts[0])
	if err != nil {
		t.Fatal(err)
	}
	return act
}
