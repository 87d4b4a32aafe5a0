package server

import (
	"crypto/sha256"
	"errors"
	"net/http"

	"github.com/countersign/countersign/push/store"
)

// The console's applications (relying parties: add, rotate the key,
// revoke; a key is shown once) and administrators (remove).

type appsView struct {
	Apps []store.AppRow
	// New is the application whose key was just made (shown once).
	New                string
	APIKey, WebhookKey string
}

func (c *console) showApps(w http.ResponseWriter, ses adminSession, v appsView, notice string) {
	var err error
	if v.Apps, err = c.s.store.Apps(); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.render(w, http.StatusOK, "apps.html", view{Title: "Applications", Nav: "apps", Admin: ses.Admin, CSRF: ses.CSRF, Notice: notice, Data: v})
}

func (c *console) handleApps(w http.ResponseWriter, r *http.Request, ses adminSession) {
	c.showApps(w, ses, appsView{}, "")
}

func (c *console) handleAppAdd(w http.ResponseWriter, r *http.Request, ses adminSession) {
	name, webhook := r.PostForm.Get("name"), r.PostForm.Get("webhook")
	key, secret, err := c.s.AddRelyingParty(name, webhook)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) && !errors.Is(err, store.ErrExists) {
			err = errorf("bad_request", "%v", err) // the name or the webhook URL
		} else if errors.Is(err, store.ErrExists) {
			err = errorf("bad_request", "an application named %q exists already; choose another name", name)
		}
		c.failed(w, ses, err)
		return
	}
	if err := c.s.auditBy(ses.Admin, AuditAppAdded, "", map[string]string{"application": name, "webhook": webhook}); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.showApps(w, ses, appsView{New: name, APIKey: key, WebhookKey: secret}, "Application "+name+" added. Copy its API key now: it is shown only once.")
}

// evApplicationChanged tells the other server processes sharing the
// database (bus.go) that an application's key changed: Ref is its name,
// which they drop from their cache of keys (forgetRelyingParty).
const evApplicationChanged = "application_changed"

// forgetRP drops an application from the cache of keys (rp.go), here and
// in the other processes: its old key must stop working at once.
func (c *console) forgetRP(name string) {
	c.s.forgetRelyingParty(name)
	c.s.publish(evApplicationChanged, "", name)
}

// forgetRelyingParty drops an application from this process's cache of
// keys; the next use of a key looks it up in the database.
func (s *Server) forgetRelyingParty(name string) {
	rc := &s.rps
	rc.mu.Lock()
	defer rc.mu.Unlock()
	kept := rc.rps[:0]
	for _, rp := range rc.rps {
		if rp.Name != name {
			kept = append(kept, rp)
		}
	}
	rc.rps = kept
}

// handleAppRotate gives an application a new API key, after a fresh push.
func (c *console) handleAppRotate(w http.ResponseWriter, r *http.Request, ses adminSession) {
	name := r.PostForm.Get("name")
	if _, err := c.s.store.RelyingParty(name); err != nil {
		c.failed(w, ses, errorf("not_found", "no application %q", name))
		return
	}
	if !c.reauthed(w, r, ses, "Rotate the API key of "+name) {
		return
	}
	key := "cs_" + randomToken(32)
	hash := sha256.Sum256([]byte(key))
	if err := c.s.store.RotateRelyingPartyKey(name, hash[:]); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.forgetRP(name)
	c.s.log.Info("application key rotated", "rp", name, "admin", ses.Admin)
	if err := c.s.auditBy(ses.Admin, AuditAppKeyRotated, "", map[string]string{"application": name}); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.showApps(w, ses, appsView{New: name, APIKey: key}, "A new API key for "+name+"; the old one no longer works. Copy it now: it is shown only once.")
}

func (c *console) handleAppRevoke(w http.ResponseWriter, r *http.Request, ses adminSession) {
	name := r.PostForm.Get("name")
	if err := c.s.store.RevokeRelyingParty(name, []byte(randomToken(32)), c.s.cfg.Now()); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.forgetRP(name)
	c.s.log.Warn("application revoked", "rp", name, "admin", ses.Admin)
	if err := c.s.auditBy(ses.Admin, AuditAppRevoked, "", map[string]string{"application": name}); err != nil {
		c.failed(w, ses, err)
		return
	}
	c.showApps(w, ses, appsView{}, "Application "+name+" is revoked: its key no longer works.")
}

func (c *console) handleAdmins(w http.ResponseWriter, r *http.Request, ses adminSession) {
	admins, err := c.s.store.Admins()
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	c.render(w, http.StatusOK, "admins.html", view{Title: "Administrators", Nav: "admins", Admin: ses.Admin, CSRF: ses.CSRF, Data: admins})
}

// handleAdminRemove removes another administrator, after a fresh push.
func (c *console) handleAdminRemove(w http.ResponseWriter, r *http.Request, ses adminSession) {
	name := r.PostForm.Get("name")
	if name == ses.Admin {
		c.failed(w, ses, errorf("forbidden", "you cannot remove yourself here; another administrator can, or countersignd admin remove %s", name))
		return
	}
	if _, err := c.s.store.Admin(name); err != nil {
		c.failed(w, ses, err)
		return
	}
	if !c.reauthed(w, r, ses, "Remove administrator "+name) {
		return
	}
	if err := c.s.RemoveAdmin(name, ses.Admin); err != nil {
		c.failed(w, ses, err)
		return
	}
	http.Redirect(w, r, "/admin/admins", http.StatusSeeOther)
}
