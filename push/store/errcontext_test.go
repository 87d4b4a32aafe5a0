package store

import (
	"strings"
	"testing"
)

// TestDatabaseFailuresSayWhat: a database that fails (here closed) under
// the reads and writes of every sign-in says, in the error the server
// logs, what was being read or written and for whom.
func TestDatabaseFailuresSayWhat(t *testing.T) {
	s, _ := openTest(t)
	s.Close()
	// The driver's own words differ with the path ("sql: database is
	// closed", or the writer's "the database is closed"): the context
	// before them is the point.
	_, _, otpErr := s.OTPFailures("ada")
	_, addErr := s.AddOTPFailure("ada", t0)
	_, devErr := s.Devices("ada")
	_, pendErr := s.PendingRequests("ada", t0)
	_, openErr := s.OpenCodeRequests("ada", "payroll", t0)
	for _, c := range []struct {
		err  error
		want string
	}{
		{s.ResetOTPFailures("ada"), `resetting the wrong-code count of "ada"`},
		{otpErr, `reading the wrong-code count of "ada"`},
		{addErr, `counting a wrong code of "ada"`},
		{devErr, `listing the devices of "ada"`},
		{pendErr, `listing the pending requests of "ada"`},
		{openErr, `listing the text-message sign-ins of "ada" waiting for a code`},
	} {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), c.want+": ") || !strings.HasSuffix(c.err.Error(), "database is closed") {
			t.Errorf("got %v, want %s: …database is closed", c.err, c.want)
		}
	}
}
