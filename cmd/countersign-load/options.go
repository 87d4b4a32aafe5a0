package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// options are the command line: the driver's, and the internal ones the
// driver gives its server children.
type options struct {
	// The driver's.
	devices      int
	rate         int
	duration     time.Duration
	instances    int
	db           string // "" (SQLite in a temporary directory), "pg", or a postgres:// URL
	knee         bool
	steps        []int
	stepDuration time.Duration

	// The children's (internal).
	role   string // "push" or "echo"; empty for the driver
	data   string // the data directory
	dbURL  string // the PostgreSQL database ($COUNTERSIGN_LOAD_DB: kept off the command line, it holds a password); empty for SQLite
	index  int    // this instance's number, from 0
	of     int    // how many instances share the database
	prefix string // the users' and relying party's name prefix
}

// dbEnv is the environment variable that gives a push child its
// PostgreSQL database.
const dbEnv = "COUNTERSIGN_LOAD_DB"

// defaultSteps are the rates --knee tries, in sign-ins a second.
var defaultSteps = []int{500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000}

// parseFlags reads the command line (without the program name). Usage and
// errors go to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("countersign-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.devices, "devices", 1000, "simulated devices to activate and keep connected")
	fs.IntVar(&o.rate, "rate", 100, "sign-ins per second")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to drive sign-ins")
	fs.IntVar(&o.instances, "instances", 1, "server instances sharing one database; above 1, the figures for 1 instance and for this many are measured in the same run")
	fs.StringVar(&o.db, "db", "", `the database: empty for SQLite in a temporary directory, "pg" for a private PostgreSQL cluster started (and stopped) by the tool, or an empty PostgreSQL database's postgres:// URL`)
	fs.BoolVar(&o.knee, "knee", false, "step the rate up (-steps, -step-duration each) and report the highest rate with a p99 under 50 ms and no failures")
	steps := fs.String("steps", joinInts(defaultSteps), "the rates -knee tries, ascending, comma-separated")
	fs.DurationVar(&o.stepDuration, "step-duration", 3*time.Second, "how long -knee drives each rate")
	fs.StringVar(&o.role, "role", "", "internal: run as a server child (push or echo)")
	fs.StringVar(&o.data, "data", "", "internal: the child's data directory")
	fs.IntVar(&o.index, "index", 0, "internal: the child's instance number")
	fs.IntVar(&o.of, "of", 1, "internal: how many instances share the child's database")
	fs.StringVar(&o.prefix, "prefix", "", "internal: the names' prefix")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: every setting is a flag (see -help)", fs.Arg(0))
	}
	o.dbURL = os.Getenv(dbEnv)
	var err error
	if o.steps, err = parseSteps(*steps); err != nil {
		return o, err
	}
	switch {
	case o.devices < 1:
		return o, fmt.Errorf("-devices %d: give at least 1", o.devices)
	case o.rate < 1:
		return o, fmt.Errorf("-rate %d: give at least 1 sign-in a second", o.rate)
	case o.duration <= 0:
		return o, fmt.Errorf("-duration %s: give a positive duration, e.g. 10s", o.duration)
	case o.stepDuration <= 0:
		return o, fmt.Errorf("-step-duration %s: give a positive duration, e.g. 3s", o.stepDuration)
	case o.instances < 1:
		return o, fmt.Errorf("-instances %d: give at least 1", o.instances)
	case o.of < 1 || o.index < 0 || o.index >= o.of:
		return o, fmt.Errorf("-index %d -of %d: the index must be from 0 to of-1", o.index, o.of)
	}
	switch {
	case o.db == "", o.db == "pg",
		strings.HasPrefix(o.db, "postgres://"), strings.HasPrefix(o.db, "postgresql://"):
	default:
		return o, fmt.Errorf(`-db %q: give "pg" (a private PostgreSQL cluster) or a postgres:// URL, or leave it out for SQLite`, o.db)
	}
	return o, nil
}

// parseSteps reads "500,1000,...": positive and ascending.
func parseSteps(s string) ([]int, error) {
	var steps []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-steps %q: %q is not a positive whole number of sign-ins a second", s, f)
		}
		if len(steps) > 0 && n <= steps[len(steps)-1] {
			return nil, fmt.Errorf("-steps %q: give the rates in ascending order", s)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
