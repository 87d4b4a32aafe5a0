package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push/server"
)

// cmdUsage prints the usage report of a period, counted from the audit
// log:
//
//	countersignd usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json|--csv]
//
// Days are UTC and --to is included; without them the period is the
// current month.
func cmdUsage(args []string, stdout io.Writer) error {
	fs, data := newFlags("usage")
	fromFlag := fs.String("from", "", "first day of the period, YYYY-MM-DD in UTC (default: the first day of this month)")
	toFlag := fs.String("to", "", "last day of the period, included, YYYY-MM-DD in UTC (default: the last day of this month)")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV: one row per day, application, method and result, then the telephony rows")
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if *asJSON && *asCSV {
		return usagef("usage: --json and --csv go one at a time")
	}
	from, to, err := usagePeriod(*fromFlag, *toFlag, time.Now())
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	r, err := srv.Usage(from, to)
	if err != nil {
		return fmt.Errorf("reading the usage: %w", err)
	}
	switch {
	case *asJSON:
		return writeJSON(stdout, r)
	case *asCSV:
		return r.WriteCSV(stdout)
	}
	return writeUsageText(stdout, r)
}

// usagePeriod turns --from and --to (UTC days, --to included) into the
// period [from, to), the current month by default.
func usagePeriod(fromFlag, toFlag string, now time.Time) (time.Time, time.Time, error) {
	now = now.UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	if fromFlag != "" {
		d, err := time.Parse(time.DateOnly, fromFlag)
		if err != nil {
			return time.Time{}, time.Time{}, usagef("--from %q is not a day such as 2026-11-01 (YYYY-MM-DD, UTC)", fromFlag)
		}
		from = d
	}
	if toFlag != "" {
		d, err := time.Parse(time.DateOnly, toFlag)
		if err != nil {
			return time.Time{}, time.Time{}, usagef("--to %q is not a day such as 2026-11-30 (YYYY-MM-DD, UTC)", toFlag)
		}
		to = d.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, usagef("--from %s comes after --to %s: give the first day, then the last", from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly))
	}
	return from, to, nil
}

// writeUsageText prints the report as a readable table, the usage model on
// top.
func writeUsageText(w io.Writer, r server.UsageReport) error {
	unit := map[string]string{"enabled_users": "enabled users", "authentications": "authentications"}[r.Billable.Unit]
	fmt.Fprintf(w, "Usage model: %s (billed: %d %s)\n", r.UsageModel, r.Billable.Count, unit)
	fmt.Fprintf(w, "Period: %s to %s (UTC, both days included)\n", r.From.Format(time.DateOnly), r.To.AddDate(0, 0, -1).Format(time.DateOnly))
	fmt.Fprintf(w, "Enabled users: %d (require MFA on at some point of the period)\n", r.EnabledUsers)
	fmt.Fprintf(w, "Users who authenticated: %d\n", r.AuthenticatingUsers)
	a := r.Authentications
	fmt.Fprintf(w, "\nAuthentications: %d\n", a.Total)
	usageSection(w, "by day", a.ByDay)
	usageSection(w, "by application", a.ByApplication)
	usageSection(w, "by method", a.ByMethod)
	usageSection(w, "by result", a.ByResult)
	m := r.Telephony
	fmt.Fprintf(w, "\nTelephony messages: %d\n", m.Total)
	usageSection(w, "by kind", m.ByKind)
	usageSection(w, "by country", m.ByCountry)
	_, err := usageSection(w, "by result", m.ByResult)
	return err
}

// usageSection prints one breakdown, its names in order and its counts
// lined up.
func usageSection(w io.Writer, title string, counts map[string]int) (int, error) {
	if len(counts) == 0 {
		return 0, nil
	}
	names := make([]string, 0, len(counts))
	width := 0
	for k := range counts {
		names = append(names, k)
		width = max(width, utf8.RuneCountInString(usageName(k)))
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "  %s:\n", title)
	for _, k := range names {
		fmt.Fprintf(&b, "    %-*s  %d\n", width, usageName(k), counts[k])
	}
	return io.WriteString(w, b.String())
}

// usageName shows an empty name (the server's own requests have no
// application) as "(none)".
func usageName(k string) string {
	if k == "" {
		return "(none)"
	}
	return textsafe.Clean(k)
}
