package server_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/countersign/countersign/push/server"
)

// TestDatabaseFailuresSayWhat: when the database fails under the server's
// HTTP paths (here it is closed), the error, which the server logs as an
// internal error, says what the server was doing and for whom, not only
// the driver's "sql: database is closed".
func TestDatabaseFailuresSayWhat(t *testing.T) {
	srv, err := server.Open(t.TempDir(), server.Config{PublicURL: "http://127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	const closed = "sql: database is closed"
	_, err = srv.VerifyOTP("ada", "123456")
	if want := `reading user "ada": ` + closed; err == nil || err.Error() != want {
		t.Errorf("VerifyOTP: %v, want %s", err, want)
	}
	_, err = srv.VerifyPasscode("payroll", "ada", "123456")
	if want := `reading user "ada": ` + closed; err == nil || err.Error() != want {
		t.Errorf("VerifyPasscode: %v, want %s", err, want)
	}
	_, err = srv.VerifyRequestCode("payroll", "0123456789abcdef0123456789abcdef", "123456")
	if want := `reading request "0123456789abcdef0123456789abcdef": ` + closed; err == nil || err.Error() != want {
		t.Errorf("VerifyRequestCode: %v, want %s", err, want)
	}
}
