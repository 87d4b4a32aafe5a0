package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// The console's dashboard, users list and user page, and the changes made
// there.

// dashboardView is the dashboard's numbers.
type dashboardView struct {
	Counts        store.UserCounts
	Online        int
	SignIns       []statusCount
	SignInsTotal  int
	OpenFraud     int
	Recent        []store.AuditEntry
	SinceMidnight time.Time
}

type statusCount struct {
	Status string
	N      int
}

func (c *console) handleDashboard(w http.ResponseWriter, r *http.Request, ses adminSession) {
	var d dashboardView
	var err error
	if d.Counts, err = c.s.store.CountUsers(); err != nil {
		c.failed(w, ses, err)
		return
	}
	d.Online = c.s.Connected()
	now := c.s.cfg.Now().UTC()
	d.SinceMidnight = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	counts, err := c.s.store.SignInsSince(d.SinceMidnight, consoleRP) // the applications' sign-ins, not the console's
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	for _, st := range []push.Status{push.StatusApproved, push.StatusDenied, push.StatusFraud, push.StatusExpired, push.StatusPending} {
		d.SignIns = append(d.SignIns, statusCount{statusWords(st), counts[string(st)]})
		d.SignInsTotal += counts[string(st)]
		delete(counts, string(st))
	}
	for st, n := range counts {
		d.SignIns = append(d.SignIns, statusCount{st, n})
		d.SignInsTotal += n
	}
	if d.OpenFraud, err = c.s.store.OpenFraudReports(); err != nil {
		c.failed(w, ses, err)
		return
	}
	if d.Recent, err = c.s.store.AuditPage(store.AuditFilter{}, 10); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.render(w, http.StatusOK, "dashboard.html", view{Title: "Dashboard", Nav: "dashboard", Admin: ses.Admin, CSRF: ses.CSRF, Data: d})
}

// usersPageSize is the users listed per page.
const usersPageSize = 50

// userRow is a user in the list, with their state in words.
type userRow struct {
	store.UserRow
	State string
}

// stateOfUser says a user's state: blocked, needs enrollment (a second
// factor is required and they have no active device), no second factor
// (not required, no device) or active.
func stateOfUser(blocked, requireMFA bool, activeDevices int) string {
	switch {
	case blocked:
		return "blocked"
	case activeDevices == 0 && requireMFA:
		return "needs enrollment"
	case activeDevices == 0:
		return "no second factor"
	}
	return "active"
}

type usersView struct {
	Search string
	After  string
	Users  []userRow
	Next   string
	Total  int
	Return string
}

func (c *console) handleUsers(w http.ResponseWriter, r *http.Request, ses adminSession) {
	q := r.URL.Query()
	search, after := q.Get("q"), q.Get("after")
	rows, err := c.s.store.UsersPage(search, after, usersPageSize+1)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v := usersView{Search: search, After: after, Return: r.URL.RequestURI()}
	if len(rows) > usersPageSize {
		rows = rows[:usersPageSize]
		v.Next = rows[len(rows)-1].Name
	}
	for _, u := range rows {
		v.Users = append(v.Users, userRow{u, stateOfUser(u.Blocked, u.RequireMFA, u.ActiveDevices)})
	}
	counts, err := c.s.store.CountUsers()
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v.Total = counts.Users
	c.render(w, http.StatusOK, "users.html", view{Title: "Users", Nav: "users", Admin: ses.Admin, CSRF: ses.CSRF, Data: v})
}

// back returns the console page a form asks to return to, or fallback
// (only paths of the console: no open redirect).
func back(r *http.Request, fallback string) string {
	ret := r.PostForm.Get("return")
	if u, err := url.Parse(ret); err == nil && u.Scheme == "" && u.Host == "" && pathUnder(u.Path, "/admin") && !pathUnder(u.Path, "/admin/sign-in") {
		return u.RequestURI()
	}
	return fallback
}

// userPage is the user page's address.
func userPage(name string) string { return "/admin/user?name=" + url.QueryEscape(name) }

func (c *console) handleRequireMFA(w http.ResponseWriter, r *http.Request, ses adminSession) {
	user := r.PostForm.Get("user")
	on := r.PostForm.Get("require_mfa") == "on"
	if err := c.s.store.SetRequireMFA(user, on); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.s.log.Info("require MFA changed", "user", user, "require_mfa", on, "admin", ses.Admin)
	if err := c.s.auditBy(ses.Admin, AuditRequireMFA, user, map[string]string{"require_mfa": strconv.FormatBool(on)}); err != nil {
		c.failed(w, ses, err)
		return
	}
	http.Redirect(w, r, back(r, userPage(user)), http.StatusSeeOther)
}

// deviceRow is a device on the user page.
type deviceRow struct {
	store.Device
	State      string
	Online     bool
	LastAnswer time.Time
}

type userView struct {
	User      store.User
	State     string
	Devices   []deviceRow
	Methods   []string
	Admin     bool
	Bypass    string
	BypassEnd time.Time
	Enroll    *Enrollment
}

// online returns the ids of the user's connected devices.
func (c *console) online(user string) map[string]bool {
	h := c.s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]bool{}
	for conn := range h.byUser[user] {
		out[conn.device.ID] = true
	}
	return out
}

// userView gathers a user's page.
func (c *console) userView(name string) (userView, error) {
	var v userView
	var err error
	if v.User, err = c.s.store.User(name); err != nil {
		return v, err
	}
	devices, err := c.s.store.Devices(name)
	if err != nil {
		return v, err
	}
	online := c.online(name)
	active := 0
	for _, d := range devices {
		row := deviceRow{Device: d, State: "active", Online: online[d.ID]}
		switch {
		case !d.Revoked.IsZero():
			row.State, row.Online = "revoked", false
		case d.Pending:
			row.State = "waiting for approval"
		default:
			active++
		}
		if row.LastAnswer, err = c.s.store.DeviceLastAnswer(d.ID); err != nil {
			return v, err
		}
		v.Devices = append(v.Devices, row)
	}
	v.State = stateOfUser(v.User.Blocked, v.User.RequireMFA, active)
	m, err := c.s.UserMethods(name)
	if err != nil {
		return v, err
	}
	v.Methods = methodLabels(m)
	if _, err := c.s.store.Admin(name); err == nil {
		v.Admin = true
	}
	return v, nil
}

func (c *console) handleUser(w http.ResponseWriter, r *http.Request, ses adminSession) {
	v, err := c.userView(r.URL.Query().Get("name"))
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	c.showUser(w, ses, v, "")
}

func (c *console) showUser(w http.ResponseWriter, ses adminSession, v userView, notice string) {
	c.render(w, http.StatusOK, "user.html", view{Title: "User " + v.User.Name, Nav: "users", Admin: ses.Admin, CSRF: ses.CSRF, Notice: notice, Data: v})
}

func (c *console) handleBlock(w http.ResponseWriter, r *http.Request, ses adminSession) {
	user := r.PostForm.Get("user")
	if err := c.s.store.SetBlocked(user, true); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.s.selfSessions.endUser(user)
	c.s.log.Warn("user blocked", "user", user, "reason", "administrator", "admin", ses.Admin)
	if err := c.s.auditBy(ses.Admin, store.AuditBlocked, user, map[string]string{"reason": "administrator"}); err != nil {
		c.failed(w, ses, err)
		return
	}
	http.Redirect(w, r, userPage(user), http.StatusSeeOther)
}

// handleUnblock unblocks a user; one blocked after a fraud report only
// with a fresh push of the administrator's.
func (c *console) handleUnblock(w http.ResponseWriter, r *http.Request, ses adminSession) {
	user := r.PostForm.Get("user")
	fraud, err := c.s.store.BlockedForFraud(user)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	if fraud && !c.reauthed(w, r, ses, "Unblock "+user+", blocked after a fraud report") {
		return
	}
	if err := c.s.store.SetBlocked(user, false); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.s.log.Info("user unblocked", "user", user, "admin", ses.Admin)
	if err := c.s.auditBy(ses.Admin, store.AuditUnblocked, user, map[string]string{"by": "admin", "after_fraud": strconv.FormatBool(fraud)}); err != nil {
		c.failed(w, ses, err)
		return
	}
	http.Redirect(w, r, userPage(user), http.StatusSeeOther)
}

func (c *console) handleRevokeDevice(w http.ResponseWriter, r *http.Request, ses adminSession) {
	user, id := r.PostForm.Get("user"), r.PostForm.Get("device")
	d, err := c.s.store.Device(id)
	if err == nil && d.User != user {
		err = errorf("not_found", "%s has no device %s", user, id)
	}
	if err == nil {
		err = c.s.revokeDevice(id, "administrator "+ses.Admin)
	}
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	http.Redirect(w, r, userPage(user), http.StatusSeeOther)
}

func (c *console) handleBypassCode(w http.ResponseWriter, r *http.Request, ses adminSession) {
	user := r.PostForm.Get("user")
	code, expires, err := c.s.newBypassCode(user, ses.Admin)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v, err := c.userView(user)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v.Bypass, v.BypassEnd = code, expires
	c.showUser(w, ses, v, "")
}

func (c *console) handleEnrollLink(w http.ResponseWriter, r *http.Request, ses adminSession) {
	user := r.PostForm.Get("user")
	e, err := c.s.enroll(user, "admin")
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	if err := c.s.auditBy(ses.Admin, AuditEnrollmentByAdm, user, map[string]string{"expires": e.ExpiresAt.UTC().Format(time.RFC3339)}); err != nil {
		c.failed(w, ses, err)
		return
	}
	v, err := c.userView(user)
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v.Enroll = &e
	c.showUser(w, ses, v, fmt.Sprintf("A new enrollment link for %s, valid until %s. Only this page shows it.", user, e.ExpiresAt.UTC().Format("15:04 UTC")))
}
