package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/countersign/countersign/push/telephony"
)

// The console's gateway page: the telephony settings (set with serve's
// flags, shown here) and a test message or call, sent through the same
// path as the sign-ins' (limits, allowed countries, telephony log, audit).

type gatewayView struct {
	Gateway     string
	Countries   string
	DailyCap    int
	SentToday   int
	CallbackURL string
	To, Kind    string
}

// testCallScript is what a test call says.
const testCallScript = "This is a test call from Countersign. No action is needed. Goodbye."

func (c *console) gatewayView() (gatewayView, error) {
	v := gatewayView{Gateway: "none: text messages and calls are off (countersignd serve --telephony file:PATH, webhook:CONFIG.json or exec:PROGRAM)",
		Countries: "those of the phone numbers already stored (serve --telephony-countries sets them)", DailyCap: c.s.cfg.TelephonyDailyCap,
		CallbackURL: c.s.cfg.PublicURL + "/v1/telephony/callback"}
	if c.s.cfg.Telephony != nil {
		v.Gateway = c.s.cfg.Telephony.Describe()
	}
	if len(c.s.cfg.TelephonyCountries) > 0 {
		v.Countries = strings.Join(c.s.cfg.TelephonyCountries, ", ")
	}
	now := c.s.cfg.Now()
	_, _, all, err := c.s.store.TelephonyCounts("", "", now, now, now.Add(-telephonyWindow))
	v.SentToday = all
	return v, err
}

func (c *console) handleGateway(w http.ResponseWriter, r *http.Request, ses adminSession) {
	v, err := c.gatewayView()
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	c.render(w, http.StatusOK, "gateway.html", view{Title: "Gateway", Nav: "gateway", Admin: ses.Admin, CSRF: ses.CSRF, Data: v})
}

// handleGatewayTest sends a test text or call to a number the
// administrator gives; it counts against the limits like any message.
func (c *console) handleGatewayTest(w http.ResponseWriter, r *http.Request, ses adminSession) {
	to, kind := strings.TrimSpace(r.PostForm.Get("to")), telephony.Kind(r.PostForm.Get("kind"))
	m := telephony.Message{ID: "test-" + randomID(), Kind: telephony.SMS, To: to, Body: "Countersign: a test message from the console. No action is needed."}
	if kind == telephony.Voice {
		m = telephony.Message{ID: m.ID, Kind: telephony.Voice, To: to, Body: testCallScript, Script: "<Response><Say>" + testCallScript + "</Say></Response>"}
	}
	v, err := c.gatewayView()
	if err != nil {
		c.failed(w, ses, err)
		return
	}
	v.To, v.Kind = to, string(m.Kind)
	status, notice, msg := http.StatusOK, "", ""
	if err := c.s.sendTelephony(ses.Admin, m, "test", ""); err != nil {
		e := c.s.asError(err)
		status, msg = httpStatus(e.Code), "Not sent: "+e.Message
		// The administrator sees why, as the server's log has it.
		var failed *gatewayFailure
		if errors.As(err, &failed) {
			msg = "Not sent: the gateway failed: " + failed.reason.Error()
		}
	} else {
		notice = "Sent to " + to + " through the gateway (" + string(m.Kind) + ")."
	}
	if v2, err := c.gatewayView(); err == nil {
		v.SentToday = v2.SentToday
	}
	c.render(w, status, "gateway.html", view{Title: "Gateway", Nav: "gateway", Admin: ses.Admin, CSRF: ses.CSRF, Notice: notice, Error: msg, Data: v})
}
