package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push/device"
)

// TestEnrollmentGivesRecoveryCodesOnce: the code typed at the end of a
// first enrollment brings the user's ten recovery codes; typed again, or
// at a later enrollment while codes are left, it brings none.
func TestEnrollmentGivesRecoveryCodesOnce(t *testing.T) {
	e := newEnv(t, Config{})
	enr, err := e.srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	a, err := device.Activate(context.Background(), http.DefaultClient, e.activationOfPage(enr.EnrollURL), "laptop")
	if err != nil {
		t.Fatal(err)
	}
	token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
	var got EnrollmentConfirmed
	if status := e.post("/v1/enrollments/"+token+"/confirm", map[string]string{"code": e.codeOf(a)}, &got); status != http.StatusOK || !got.Valid || len(got.RecoveryCodes) != 10 {
		t.Fatalf("first confirmation: %d %+v", status, got)
	}
	e.clock.Add(30 * time.Second) // the next time step: a new code
	got = EnrollmentConfirmed{}
	if status := e.post("/v1/enrollments/"+token+"/confirm", map[string]string{"code": e.codeOf(a)}, &got); status != http.StatusOK || !got.Valid || got.RecoveryCodes != nil {
		t.Fatalf("second confirmation: %d %+v", status, got)
	}
}
