package server

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The usage models: how the use of the server is billed, as the providers
// of the original service were. It is chosen once, at the first start
// that names one, and kept in the database: changing how usage is billed
// is never silent.
const (
	// UsagePerUser bills the enabled users: those with require-MFA on.
	UsagePerUser = "per-user"
	// UsagePerAuthentication bills each authentication (the default).
	UsagePerAuthentication = "per-authentication"
)

// settingUsageModel is the setting that keeps the usage model.
const settingUsageModel = "usage_model"

// settleUsageModel fixes the server's usage model at Open. The stored
// model wins; a configured model (serve --usage-model) is stored if none
// is, and refused if it differs. Without either the server is
// per-authentication; that default is stored as soon as usage was
// counted under it, so an admin command run before the first serve does
// not choose for the administrator, and a server that counted usage
// per authentication cannot silently become per-user.
func (s *Server) settleUsageModel() error {
	want := s.cfg.UsageModel
	if want != "" && want != UsagePerUser && want != UsagePerAuthentication {
		return fmt.Errorf("usage model %q: use %s or %s", want, UsagePerUser, UsagePerAuthentication)
	}
	stored, err := s.store.Setting(settingUsageModel)
	if err != nil {
		return fmt.Errorf("reading the usage model: %w", err)
	}
	if stored == "" {
		counted, err := s.store.HasUsage()
		if err != nil {
			return err
		}
		if counted {
			stored = UsagePerAuthentication
			if want != "" && want != stored {
				return fmt.Errorf("this server has counted usage %s (the default) since its first start; it cannot become %s: start it without --usage-model, or start a new server (new data directory) for the other model", stored, want)
			}
			if err := s.store.SetSetting(settingUsageModel, stored); err != nil {
				return err
			}
		}
	}
	switch {
	case stored != "" && want != "" && want != stored:
		return fmt.Errorf("this server's usage model is %s, chosen at its first start; it cannot become %s: start it without --usage-model (or with --usage-model %s), or start a new server (new data directory) for the other model", stored, want, stored)
	case stored == "" && want != "":
		if err := s.store.SetSetting(settingUsageModel, want); err != nil {
			return err
		}
		stored = want
		s.log.Info("usage model chosen", "usage_model", want)
	}
	if stored == "" {
		stored = UsagePerAuthentication
	}
	s.cfg.UsageModel = stored
	return nil
}

// UsageModel returns the server's usage model: per-user or
// per-authentication.
func (s *Server) UsageModel() string { return s.cfg.UsageModel }

// UsageReport is the usage of the server in a period, counted from the
// audit log: exact, and the same however often it is asked for.
type UsageReport struct {
	// UsageModel is per-user or per-authentication.
	UsageModel string `json:"usage_model"`
	// From and To bound the period: From inclusive, To exclusive (UTC).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Billable is what the usage model bills: the enabled users
	// (per-user) or the authentications (per-authentication).
	Billable Billable `json:"billable"`
	// EnabledUsers are the users with require-MFA on who existed at some
	// point of the period (added before its end; users are never deleted).
	EnabledUsers int `json:"enabled_users"`
	// AuthenticatingUsers are the users with at least one authentication
	// (any method, any result) in the period.
	AuthenticatingUsers int `json:"authenticating_users"`
	// Authentications are the second-factor checks: every decided or
	// expired sign-in request and every code checked.
	Authentications AuthenticationUsage `json:"authentications"`
	// Telephony are the text messages and calls handed to the gateway.
	Telephony TelephonyUsage `json:"telephony"`
}

// Billable is the quantity a usage model bills.
type Billable struct {
	// Unit is enabled_users or authentications.
	Unit  string `json:"unit"`
	Count int    `json:"count"`
}

// AuthenticationUsage counts authentications in total, by day (UTC
// YYYY-MM-DD), application (the relying party's name, empty for the
// server's own requests), method (push, sms, voice, otp, recovery, bypass)
// and result (approved, denied, fraud, expired, code-ok, code-wrong); Rows
// break them down by all four at once.
type AuthenticationUsage struct {
	Total         int                 `json:"total"`
	ByDay         map[string]int      `json:"by_day"`
	ByApplication map[string]int      `json:"by_application"`
	ByMethod      map[string]int      `json:"by_method"`
	ByResult      map[string]int      `json:"by_result"`
	Rows          []AuthenticationRow `json:"rows"`
}

// AuthenticationRow is the count of one day, application, method and
// result.
type AuthenticationRow struct {
	Day         string `json:"day"`
	Application string `json:"application"`
	Method      string `json:"method"`
	Result      string `json:"result"`
	Count       int    `json:"count"`
}

// TelephonyUsage counts telephony messages in total, by kind (sms,
// voice), by country (ISO code of the number) and by result (sent,
// failed); Rows break them down by day, kind, country and result.
type TelephonyUsage struct {
	Total     int            `json:"total"`
	ByKind    map[string]int `json:"by_kind"`
	ByCountry map[string]int `json:"by_country"`
	ByResult  map[string]int `json:"by_result"`
	Rows      []TelephonyRow `json:"rows"`
}

// TelephonyRow is the count of one day, kind, country and result.
type TelephonyRow struct {
	Day     string `json:"day"`
	Kind    string `json:"kind"`
	Country string `json:"country"`
	Result  string `json:"result"`
	Count   int    `json:"count"`
}

// Usage reports the usage of [from, to), counted from the audit log.
func (s *Server) Usage(from, to time.Time) (UsageReport, error) {
	from, to = from.UTC(), to.UTC()
	if !from.Before(to) {
		return UsageReport{}, fmt.Errorf("the period from %s to %s is empty: the end must come after the start", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	r := UsageReport{
		UsageModel: s.cfg.UsageModel, From: from, To: to,
		Authentications: AuthenticationUsage{ByDay: map[string]int{}, ByApplication: map[string]int{}, ByMethod: map[string]int{}, ByResult: map[string]int{}, Rows: []AuthenticationRow{}},
		Telephony:       TelephonyUsage{ByKind: map[string]int{}, ByCountry: map[string]int{}, ByResult: map[string]int{}, Rows: []TelephonyRow{}},
	}
	var err error
	if r.EnabledUsers, err = s.store.EnabledUsers(from, to); err != nil {
		return UsageReport{}, err
	}
	if r.AuthenticatingUsers, err = s.store.AuthenticatingUsers(from, to); err != nil {
		return UsageReport{}, err
	}
	auths, err := s.store.AuthenticationCounts(from, to)
	if err != nil {
		return UsageReport{}, err
	}
	a := &r.Authentications
	for _, c := range auths {
		a.Total += c.Count
		a.ByDay[c.Day] += c.Count
		a.ByApplication[c.Application] += c.Count
		a.ByMethod[c.Method] += c.Count
		a.ByResult[c.Result] += c.Count
		a.Rows = append(a.Rows, AuthenticationRow(c))
	}
	msgs, err := s.store.TelephonyMessageCounts(from, to)
	if err != nil {
		return UsageReport{}, err
	}
	t := &r.Telephony
	for _, c := range msgs {
		t.Total += c.Count
		t.ByKind[c.Kind] += c.Count
		t.ByCountry[c.Country] += c.Count
		t.ByResult[c.Result] += c.Count
		t.Rows = append(t.Rows, TelephonyRow(c))
	}
	r.Billable = Billable{Unit: "authentications", Count: a.Total}
	if r.UsageModel == UsagePerUser {
		r.Billable = Billable{Unit: "enabled_users", Count: r.EnabledUsers}
	}
	return r, nil
}

// usageCSVHeader are the columns of the usage report as CSV. record is
// enabled_users or authenticating_users (the whole period: no day),
// authentication (day, application, method, result) or telephony (day,
// method sms or voice, result, country).
var usageCSVHeader = []string{"usage_model", "record", "day", "application", "method", "result", "country", "count"}

// WriteCSV writes the report as CSV: a header, the user counts, then one
// row per day, application, method and result, then the telephony rows;
// every row names the usage model.
func (r UsageReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(usageCSVHeader)
	cw.Write([]string{r.UsageModel, "enabled_users", "", "", "", "", "", strconv.Itoa(r.EnabledUsers)})
	cw.Write([]string{r.UsageModel, "authenticating_users", "", "", "", "", "", strconv.Itoa(r.AuthenticatingUsers)})
	for _, row := range r.Authentications.Rows {
		cw.Write([]string{r.UsageModel, "authentication", row.Day, csvCell(row.Application), row.Method, row.Result, "", strconv.Itoa(row.Count)})
	}
	for _, row := range r.Telephony.Rows {
		cw.Write([]string{r.UsageModel, "telephony", row.Day, "", row.Kind, row.Result, row.Country, strconv.Itoa(row.Count)})
	}
	cw.Flush()
	return cw.Error()
}
