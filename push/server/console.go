package server

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/countersign/countersign/assets"
	"github.com/countersign/countersign/push/store"
)

// The administrators' web console at /admin: server-rendered pages
// (assets/web/console/*.html, html/template) whose forms POST with a
// per-session CSRF token; a small script (static/console.js) only follows
// pushes and submits the form waiting for them. Every page checks Host and
// Origin as the other pages do (sameSite), and every change is audited with
// the administrator's name as the actor.

// consoleRP is the relying-party name of the console's own requests (its
// sign-ins and re-authentications). Relying-party names never start with
// a space (checkName), so no application can read them.
const consoleRP = " console"

// consoleApp is the application name the devices show for those requests.
const consoleApp = "Countersign console"

// console is the state of the console's handlers: its templates and the
// password attempts. The pushes that browsers wait for are in the database
// (console_signin.go).
type console struct {
	s     *Server
	pages map[string]*template.Template
	// byIP and byName count failed password attempts per client address
	// and per administrator name (any name: unknown ones too).
	byIP, byName attemptLimiter
}

// routeConsole adds the endpoints of this file's part of the server.
func (s *Server) routeConsole(mux *http.ServeMux) {
	c := &console{s: s, pages: consoleTemplates(),
		byIP:   attemptLimiter{st: s.store, scope: "console-password-by-address", log: s.log},
		byName: attemptLimiter{st: s.store, scope: "console-password-by-name", log: s.log}}
	mux.HandleFunc("GET /admin", c.page(c.handleDashboard))
	mux.HandleFunc("GET /admin/{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/admin", http.StatusSeeOther) })
	mux.HandleFunc("GET /admin/sign-in", c.open(c.handleSignInPage))
	mux.HandleFunc("POST /admin/sign-in", c.open(c.handleSignIn))
	mux.HandleFunc("POST /admin/sign-in/finish", c.open(c.handleSignInFinish))
	mux.HandleFunc("GET /admin/requests/{id}", c.open(c.handleWaitPush))
	mux.HandleFunc("POST /admin/sign-out", c.change(c.handleSignOut))
	mux.HandleFunc("GET /admin/users", c.page(c.handleUsers))
	mux.HandleFunc("POST /admin/users/require-mfa", c.change(c.handleRequireMFA))
	mux.HandleFunc("GET /admin/user", c.page(c.handleUser))
	mux.HandleFunc("POST /admin/user/block", c.change(c.handleBlock))
	mux.HandleFunc("POST /admin/user/unblock", c.change(c.handleUnblock))
	mux.HandleFunc("POST /admin/user/revoke-device", c.change(c.handleRevokeDevice))
	mux.HandleFunc("POST /admin/user/bypass-code", c.change(c.handleBypassCode))
	mux.HandleFunc("POST /admin/user/enroll", c.change(c.handleEnrollLink))
	mux.HandleFunc("GET /admin/fraud", c.page(c.handleFraud))
	mux.HandleFunc("GET /admin/audit", c.page(c.handleAudit))
	mux.HandleFunc("GET /admin/audit.csv", c.page(c.handleAuditCSV))
	mux.HandleFunc("GET /admin/applications", c.page(c.handleApps))
	mux.HandleFunc("POST /admin/applications/add", c.change(c.handleAppAdd))
	mux.HandleFunc("POST /admin/applications/rotate", c.change(c.handleAppRotate))
	mux.HandleFunc("POST /admin/applications/revoke", c.change(c.handleAppRevoke))
	mux.HandleFunc("GET /admin/usage", c.page(c.handleUsage))
	mux.HandleFunc("GET /admin/usage.csv", c.page(c.handleUsageCSV))
	mux.HandleFunc("GET /admin/gateway", c.page(c.handleGateway))
	mux.HandleFunc("POST /admin/gateway/test", c.change(c.handleGatewayTest))
	mux.HandleFunc("GET /admin/admins", c.page(c.handleAdmins))
	mux.HandleFunc("POST /admin/admins/remove", c.change(c.handleAdminRemove))
}

// consoleTemplates parses each page of assets/web/console with the layout.
func consoleTemplates() map[string]*template.Template {
	dir, err := fs.Sub(assets.Web, "web/console")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	names, err := fs.Glob(dir, "*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, name := range names {
		if name == "layout.html" {
			continue
		}
		out[name] = template.Must(template.New(name).Funcs(consoleFuncs).ParseFS(dir, "layout.html", name))
	}
	return out
}

// consoleFuncs are the templates' helpers.
var consoleFuncs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
}

// view is what every console page gets.
type view struct {
	Title string
	// Nav is the section the page belongs to (highlighted in the menu).
	Nav   string
	Admin string
	CSRF  string
	// Notice and Error are one-line messages above the page's content.
	Notice, Error string
	Data          any
}

// render writes a console page.
func (c *console) render(w http.ResponseWriter, status int, page string, v view) {
	t := c.pages[page]
	var buf bytes.Buffer
	if t == nil {
		c.s.log.Error("console page missing", "page", page)
		http.Error(w, "the page is missing from this build", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.s.log.Error("rendering a console page", "page", page, "err", err)
		http.Error(w, "the page could not be shown; see the server's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The edge's no-referrer makes browsers send "Origin: null" with the
	// forms' POSTs; same-origin keeps the referrer within this server and
	// lets them send the Origin that sameSite checks.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// failed shows an error of a console action on the error page.
func (c *console) failed(w http.ResponseWriter, ses adminSession, err error) {
	if errors.Is(err, store.ErrNotFound) {
		err = errorf("not_found", "%v", err)
	}
	e := c.s.asError(err)
	status := httpStatus(e.Code)
	if e.Code == "internal" {
		status = http.StatusInternalServerError
	}
	c.render(w, status, "error.html", view{Title: "Not done", Admin: ses.Admin, CSRF: ses.CSRF, Error: e.Message})
}
