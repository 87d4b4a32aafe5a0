package server

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/countersign/countersign/push/store"
)

// The console's fraud queue and audit log (with its CSV export).

const (
	fraudPageSize = 200
	auditPageSize = 100
)

func (c *console) handleFraud(w http.ResponseWriter, r *http.Request, ses adminSession) {
	reports, err := c.s.store.FraudReports(fraudPageSize)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	c.render(w, http.StatusOK, "fraud.html", view{Title: "Fraud reports", Nav: "fraud", Admin: ses.Admin, CSRF: ses.CSRF, Data: reports})
}

// auditKinds are the kinds the audit page offers to filter by.
var auditKinds = []store.AuditKind{
	store.AuditUserAdded, store.AuditBlocked, store.AuditUnblocked, store.AuditFraud, store.AuditEnrollmentCreated,
	store.AuditDeviceActivated, store.AuditDevicePending, store.AuditDeviceApproved, store.AuditDeviceRejected,
	store.AuditDeviceRevoked, store.AuditSelfServiceSignIn, store.AuditAuthentication, store.AuditTelephony,
	AuditAdminAdded, AuditAdminRemoved, AuditAdminSignIn, AuditAdminSignInError, AuditRequireMFA,
	AuditBypassCreated, AuditBypassUsed, AuditAppAdded, AuditAppKeyRotated, AuditAppRevoked, AuditEnrollmentByAdm,
}

type auditView struct {
	User, Kind, From, To string
	Kinds                []store.AuditKind
	Events               []auditRow
	// Older is the query of the next page, CSV the export's.
	Older, CSV string
}

// auditRow is an event with its detail in one line.
type auditRow struct {
	store.AuditEntry
	Details string
}

// auditFilter reads the audit page's filter: user, kind, from and to
// (dates, UTC; to is included), before (an event id).
func auditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{User: q.Get("user"), Kind: store.AuditKind(q.Get("kind"))}
	var err error
	if v := q.Get("from"); v != "" {
		if f.From, err = time.Parse("2006-01-02", v); err != nil {
			return f, errorf("bad_request", "from=%q is not a date such as 2026-11-26", v)
		}
	}
	if v := q.Get("to"); v != "" {
		if f.To, err = time.Parse("2006-01-02", v); err != nil {
			return f, errorf("bad_request", "to=%q is not a date such as 2026-11-26", v)
		}
		f.To = f.To.AddDate(0, 0, 1)
	}
	if v := q.Get("before"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil || f.Before < 0 {
			return f, errorf("bad_request", "before=%q is not an event number", v)
		}
	}
	return f, nil
}

// details writes an event's detail as k=v pairs in key order.
func details(e store.AuditEntry) string {
	var parts []string
	for _, kv := range [][2]string{{"application", e.Application}, {"method", e.Method}, {"result", e.Result}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	keys := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+e.Detail[k])
	}
	return strings.Join(parts, " ")
}

func (c *console) handleAudit(w http.ResponseWriter, r *http.Request, ses adminSession) {
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	events, err := c.s.store.AuditPage(f, auditPageSize+1)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v := auditView{User: f.User, Kind: string(f.Kind), From: q.Get("from"), To: q.Get("to"), Kinds: auditKinds}
	page := url.Values{}
	for _, k := range []string{"user", "kind", "from", "to"} {
		if q.Get(k) != "" {
			page.Set(k, q.Get(k))
		}
	}
	v.CSV = "/admin/audit.csv?" + page.Encode()
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		page.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		v.Older = "/admin/audit?" + page.Encode()
	}
	for _, e := range events {
		v.Events = append(v.Events, auditRow{e, details(e)})
	}
	c.render(w, http.StatusOK, "audit.html", view{Title: "Audit log", Nav: "audit", Admin: ses.Admin, CSRF: ses.CSRF, Data: v})
}

// csvCell keeps a spreadsheet from reading a cell as a formula (CSV
// injection): a cell that starts with = + - @ or a tab or return gets a
// leading apostrophe.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handleAuditCSV exports every event the filter picks, newest first.
func (c *console) handleAuditCSV(w http.ResponseWriter, r *http.Request, ses adminSession) {
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="countersign-audit.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "time", "kind", "user", "actor", "details"})
	err = c.s.store.EachAuditEvent(f, 0, func(e store.AuditEntry) error {
		return cw.Write([]string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339), csvCell(string(e.Kind)), csvCell(e.User), csvCell(e.Actor), csvCell(details(e))})
	})
	cw.Flush()
	if err != nil {
		c.s.log.Error("exporting the audit log", "err", err)
	}
	c.s.auditBy(ses.Admin, AuditExported, "", map[string]string{"user": f.User, "kind": string(f.Kind)})
}
