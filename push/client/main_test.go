package client_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/countersign/countersign/push/client/clienttest"
	"github.com/countersign/countersign/push/server"
)

// The examples' server, started by TestMain: Example functions get no
// testing.T to start one with.
var (
	// serverURL and apiKey are what an application is configured with.
	serverURL, apiKey string
	// phones are the example users' phones, by user.
	phones = map[string]*clienttest.Phone{}
	// mainT is the examples' testing.TB.
	mainT = &mainTB{}
	// bench is the examples' server.
	bench *clienttest.Bench
)

// katherinePhone is the phone number of the examples' user who signs in by
// text message (a range kept for drama).
const katherinePhone = "+442079460959"

func TestMain(m *testing.M) {
	b := clienttest.Start(mainT, server.Config{})
	bench, serverURL, apiKey = b, b.URL, b.APIKey
	for _, user := range []string{"ada", "grace", "alan"} {
		phones[user] = b.AddUser(mainT, user)
	}
	if err := b.Server.AddUser("bob", true); err != nil {
		mainT.Fatal(err)
	}
	b.AddPhoneUser(mainT, "katherine", katherinePhone)
	startTLS(b)
	code := m.Run()
	mainT.cleanup()
	os.Exit(code)
}

// mainTB is the testing.TB that clienttest needs, for TestMain, where no
// test exists yet: a failure ends the process, cleanups run at the end.
// Only the methods clienttest's helpers call are implemented; the others
// would panic on the nil embedded TB (none is called).
type mainTB struct {
	testing.TB
	cleanups []func()
}

func (*mainTB) Helper() {}

func (m *mainTB) Fatal(args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"starting the examples' server:"}, args...)...)
	m.cleanup()
	os.Exit(1)
}

func (m *mainTB) Fatalf(format string, args ...any) { m.Fatal(fmt.Sprintf(format, args...)) }

func (m *mainTB) Cleanup(f func()) { m.cleanups = append(m.cleanups, f) }

func (*mainTB) Context() context.Context { return context.Background() }

func (m *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "countersign-client-example-")
	if err != nil {
		m.Fatal(err)
	}
	m.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (m *mainTB) cleanup() {
	fs := m.cleanups
	m.cleanups = nil
	for _, f := range slices.Backward(fs) {
		f()
	}
}
