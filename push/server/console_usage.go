package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// The console's usage page: the usage report (usage.go) of a period as
// tables and a bar chart of authentications by day (SVG drawn here: no
// script, no external library), and its rows as CSV.

// usageDefaultDays is the period shown without dates: the last 30 days.
const usageDefaultDays = 30

// usagePeriod reads from and to (dates, UTC, both included) from the
// query; the default is the last usageDefaultDays days. It returns the
// report's bounds: [from, to+1 day).
func (c *console) usagePeriod(q url.Values) (from, to time.Time, err error) {
	now := c.s.cfg.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	from, to = today.AddDate(0, 0, 1-usageDefaultDays), today
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse("2006-01-02", v); err != nil {
			return from, to, errorf("bad_request", "from=%q is not a date such as 2026-11-26", v)
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse("2006-01-02", v); err != nil {
			return from, to, errorf("bad_request", "to=%q is not a date such as 2026-11-26", v)
		}
	}
	if to.Before(from) {
		return from, to, errorf("bad_request", "the period ends (%s) before it starts (%s)", to.Format("2006-01-02"), from.Format("2006-01-02"))
	}
	if to.Sub(from) > 366*24*time.Hour {
		return from, to, errorf("bad_request", "the period is over a year; choose a shorter one")
	}
	return from, to.AddDate(0, 0, 1), nil
}

// bar is one day of the chart, in the SVG's units.
type bar struct {
	Day        string
	Count      int
	X, Y, W, H float64
	LabelX     float64
	ShowLabel  bool
	// Anchor aligns the label: the first starts at its bar, so that it is
	// not cut at the chart's edge.
	Anchor string
}

type usageView struct {
	Report   UsageReport
	From, To string
	CSV      string
	Bars     []bar
	Max      int
	Apps     []keyCount
	Methods  []keyCount
	Results  []keyCount
}

type keyCount struct {
	Key   string
	Count int
}

// sortedCounts lists a count map by key.
func sortedCounts(m map[string]int) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, v := range m {
		out = append(out, keyCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Chart geometry, in SVG units (the viewBox; the image scales to the page).
const (
	chartW, chartH = 600.0, 160.0
)

// chartBars lays out a bar per day of [from, to), scaled to the largest.
func chartBars(byDay map[string]int, from, to time.Time) ([]bar, int) {
	var days []string
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("2006-01-02"))
	}
	peak := 1
	for _, d := range days {
		peak = max(peak, byDay[d])
	}
	step := chartW / float64(max(len(days), 1))
	every := max(1, len(days)/6) // about six date labels
	out := make([]bar, 0, len(days))
	for i, d := range days {
		h := float64(byDay[d]) / float64(peak) * (chartH - 20)
		out = append(out, bar{Day: d, Count: byDay[d], X: float64(i)*step + step*0.1, W: step * 0.8, Y: chartH - 20 - h, H: h,
			LabelX: float64(i)*step + step/2, ShowLabel: i%every == 0, Anchor: "middle"})
		if i == 0 {
			out[0].LabelX, out[0].Anchor = out[0].X, "start"
		}
	}
	return out, peak
}

// usageReport is the report of the query's period.
func (c *console) usageReport(q url.Values) (rep UsageReport, from, to time.Time, err error) {
	if from, to, err = c.usagePeriod(q); err != nil {
		return rep, from, to, err
	}
	rep, err = c.s.Usage(from, to)
	return rep, from, to, err
}

func (c *console) handleUsage(w http.ResponseWriter, r *http.Request, ses adminSession) {
	rep, from, to, err := c.usageReport(r.URL.Query())
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v := usageView{Report: rep, From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02")}
	v.CSV = "/admin/usage.csv?" + url.Values{"from": {v.From}, "to": {v.To}}.Encode()
	v.Bars, v.Max = chartBars(rep.Authentications.ByDay, from, to)
	v.Apps, v.Methods, v.Results = sortedCounts(rep.Authentications.ByApplication), sortedCounts(rep.Authentications.ByMethod), sortedCounts(rep.Authentications.ByResult)
	c.render(w, http.StatusOK, "usage.html", view{Title: "Usage", Nav: "usage", Admin: ses.Admin, CSRF: ses.CSRF, Data: v})
}

// handleUsageCSV exports the report's authentication and telephony rows.
func (c *console) handleUsageCSV(w http.ResponseWriter, r *http.Request, ses adminSession) {
	rep, from, _, err := c.usageReport(r.URL.Query())
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="countersign-usage-%s.csv"`, from.Format("2006-01-02")))
	cw := csv.NewWriter(w)
	cw.Write([]string{"type", "day", "application_or_kind", "method_or_country", "result", "count"})
	for _, row := range rep.Authentications.Rows {
		cw.Write([]string{"authentication", row.Day, csvCell(row.Application), csvCell(row.Method), csvCell(row.Result), strconv.Itoa(row.Count)})
	}
	for _, row := range rep.Telephony.Rows {
		cw.Write([]string{"telephony", row.Day, csvCell(row.Kind), csvCell(row.Country), csvCell(row.Result), strconv.Itoa(row.Count)})
	}
	cw.Flush()
}
