package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseFlags reads the driver's flags: the defaults, each new flag,
// and the mistakes a user can make, each refused with what to give.
func TestParseFlags(t *testing.T) {
	t.Setenv(dbEnv, "")
	var stderr bytes.Buffer
	o, err := parseFlags(nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := options{devices: 1000, rate: 100, duration: 10 * time.Second, instances: 1,
		steps: []int{500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000}, stepDuration: 3 * time.Second, of: 1}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", o, want)
	}

	o, err = parseFlags(strings.Fields("-devices 5000 -rate 1000 -duration 2s -instances 3 -db pg -knee -steps 100,200,400 -step-duration 5s"), &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want = options{devices: 5000, rate: 1000, duration: 2 * time.Second, instances: 3, db: "pg", knee: true,
		steps: []int{100, 200, 400}, stepDuration: 5 * time.Second, of: 1}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("every flag:\n got %+v\nwant %+v", o, want)
	}
	for _, db := range []string{"postgres://u:p@127.0.0.1:5432/load", "postgresql://127.0.0.1/load"} {
		if o, err := parseFlags([]string{"-db", db}, &stderr); err != nil || o.db != db {
			t.Errorf("-db %s: %q, %v", db, o.db, err)
		}
	}

	// A child's database comes from the environment, never its command line.
	t.Setenv(dbEnv, "postgres://u:p@127.0.0.1/x")
	o, err = parseFlags(strings.Fields("-role push -data /tmp/d -index 1 -of 2 -prefix p1-"), &stderr)
	if err != nil || o.role != "push" || o.data != "/tmp/d" || o.index != 1 || o.of != 2 || o.prefix != "p1-" || o.dbURL != "postgres://u:p@127.0.0.1/x" {
		t.Fatalf("a child's flags: %+v, %v", o, err)
	}
	t.Setenv(dbEnv, "")

	for args, msg := range map[string]string{
		"-instances 0":       "-instances 0: give at least 1",
		"-devices 0":         "-devices 0: give at least 1",
		"-rate 0":            "-rate 0: give at least 1 sign-in a second",
		"-duration 0s":       "-duration 0s: give a positive duration, e.g. 10s",
		"-step-duration -1s": "-step-duration -1s: give a positive duration, e.g. 3s",
		"-db mysql://x":      `-db "mysql://x": give "pg" (a private PostgreSQL cluster) or a postgres:// URL, or leave it out for SQLite`,
		"-steps 500,400":     `-steps "500,400": give the rates in ascending order`,
		"-steps 500,,600":    `-steps "500,,600": "" is not a positive whole number of sign-ins a second`,
		"-steps 0,100":       `-steps "0,100": "0" is not a positive whole number of sign-ins a second`,
		"-index 2 -of 2":     "-index 2 -of 2: the index must be from 0 to of-1",
		"-devices 10 extra":  `unexpected argument "extra": every setting is a flag (see -help)`,
		"-instances two":     `invalid value "two" for flag -instances: parse error`,
	} {
		_, err := parseFlags(strings.Fields(args), &stderr)
		if err == nil || err.Error() != msg {
			t.Errorf("%s: got %v, want %q", args, err, msg)
		}
	}
}
