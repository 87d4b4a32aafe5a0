package server

import (
	"errors"
	"fmt"
	"slices"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
)

// Methods says how a user can give a second factor.
type Methods struct {
	// Push is true when the user has an active app device (which also
	// gives app codes).
	Push bool `json:"push"`
	// SMS and Voice are the phone methods the user has.
	SMS   bool `json:"sms"`
	Voice bool `json:"voice"`
	// Phone is the user's number (E.164), or empty.
	Phone string `json:"phone,omitempty"`
	// Default is the method a request with method auto uses ("" when the
	// user has none).
	Default push.Method `json:"default,omitempty"`
}

// Has reports whether the user can be asked by method m.
func (m Methods) Has(method push.Method) bool {
	switch method {
	case push.MethodPush:
		return m.Push
	case push.MethodSMS:
		return m.SMS
	case push.MethodVoice:
		return m.Voice
	}
	return false
}

// Any reports whether the user has a method at all.
func (m Methods) Any() bool { return m.Push || m.SMS || m.Voice }

// List returns the methods the user has, push first.
func (m Methods) List() []push.Method {
	var out []push.Method
	for _, method := range []push.Method{push.MethodPush, push.MethodSMS, push.MethodVoice} {
		if m.Has(method) {
			out = append(out, method)
		}
	}
	return out
}

// UserMethods returns the methods of a user.
func (s *Server) UserMethods(user string) (Methods, error) {
	u, err := s.store.User(user)
	if errors.Is(err, store.ErrNotFound) {
		return Methods{}, errorf("user_not_found", "no user %q (countersignd user add %s)", user, user)
	}
	if err != nil {
		return Methods{}, err
	}
	devices, err := s.store.Devices(user)
	if err != nil {
		return Methods{}, err
	}
	return s.methodsOf(u, devices)
}

// methodsOf is UserMethods with the user and devices already read.
func (s *Server) methodsOf(u store.User, devices []store.Device) (Methods, error) {
	m := Methods{Push: hasActiveApp(devices), Phone: u.Phone}
	if u.Phone != "" {
		phoneMethods, err := s.store.Methods(u.Name)
		if err != nil {
			return Methods{}, err
		}
		m.SMS = slices.Contains(phoneMethods, string(push.MethodSMS))
		m.Voice = slices.Contains(phoneMethods, string(push.MethodVoice))
	}
	if d := push.Method(u.DefaultMethod); m.Has(d) {
		m.Default = d
	} else if list := m.List(); len(list) > 0 {
		m.Default = list[0]
	}
	return m, nil
}

// hasActiveApp reports whether one of devices is an active app (one that
// can answer pushes, not an otpauth-only authenticator).
func hasActiveApp(devices []store.Device) bool {
	for _, d := range devices {
		if d.Active() && d.Kind != store.KindOTP {
			return true
		}
	}
	return false
}

// resolveMethod turns the method a relying party asked for into the one to
// use: auto (or empty) is the user's default.
func resolveMethod(asked push.Method, m Methods) (push.Method, error) {
	switch asked {
	case "", push.MethodAuto:
		if m.Default == "" {
			return "", errorf("method_not_available", "the user has no method to sign in with")
		}
		return m.Default, nil
	case push.MethodPush, push.MethodSMS, push.MethodVoice:
		if !m.Has(asked) {
			have := "none"
			if list := m.List(); len(list) > 0 {
				have = fmt.Sprint(list)
			}
			return "", errorf("method_not_available", "the user has no %s method (they have: %s); use method auto, or have them add it on the self-service page", asked, have)
		}
		return asked, nil
	}
	return "", errorf("bad_request", "method %q is not one of push, sms, voice or auto", asked)
}

// SetPhone sets a user's phone number, as an administrator (actor), and
// gives them the phone methods listed (sms, voice). Like binding a new
// authenticator, it is audited and the user's devices are told. An empty
// phone removes the number and the phone methods.
func (s *Server) SetPhone(user, phone string, methods []push.Method, actor string) error {
	u, err := s.store.User(user)
	if errors.Is(err, store.ErrNotFound) {
		return errorf("user_not_found", "no user %q (countersignd user add %s)", user, user)
	}
	if err != nil {
		return err
	}
	if phone != "" {
		if phone, err = telephony.NormalizeE164(phone); err != nil {
			return errorf("bad_request", "%v", err)
		}
	}
	for _, m := range methods {
		if m != push.MethodSMS && m != push.MethodVoice {
			return errorf("bad_request", "%q is not a phone method: use sms or voice", m)
		}
	}
	if err := s.store.SetPhone(user, phone); err != nil {
		return err
	}
	for _, m := range methods {
		if err := s.store.AddMethod(user, string(m), s.cfg.Now()); err != nil {
			return err
		}
	}
	detail := map[string]string{"phone": maskPhone(phone), "previous": maskPhone(u.Phone), "methods": fmt.Sprint(methods)}
	if err := s.auditAs(store.AuditPhoneChanged, user, actor, detail); err != nil {
		return err
	}
	text := fmt.Sprintf("The phone number of your account is now %s; sign-ins can be confirmed by text message or call to it.", maskPhone(phone))
	if phone == "" {
		text = "The phone number was removed from your account; sign-ins no longer go to a phone."
	} else if u.Phone != "" && u.Phone != phone {
		text = fmt.Sprintf("The phone number of your account changed from %s to %s.", maskPhone(u.Phone), maskPhone(phone))
	}
	s.notify(user, "", "phone_changed", text+" If this was not you, report it to your administrator.")
	return nil
}

// maskPhone shows the last four digits of a number, enough for the user
// to recognise it and no more: "•••• 0958".
func maskPhone(phone string) string {
	if phone == "" {
		return "(none)"
	}
	return "•••• " + phone[max(0, len(phone)-4):]
}

// auditAs appends an audit event made by actor.
func (s *Server) auditAs(kind store.AuditKind, user, actor string, detail map[string]string) error {
	if err := s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: kind, User: user, Actor: actor, Detail: detail}); err != nil {
		s.log.Error("writing the audit log", "kind", kind, "user", user, "err", err)
		return fmt.Errorf("writing the audit log: %w", err)
	}
	return nil
}

// SetDefaultMethod makes one of a user's methods the one requests with
// method auto use, as actor; audited.
func (s *Server) SetDefaultMethod(user string, method push.Method, actor string) error {
	m, err := s.UserMethods(user)
	if err != nil {
		return err
	}
	if !m.Has(method) {
		return errorf("method_not_available", "%s has no %s method to make the default (they have: %s)", user, method, m.List())
	}
	if err := s.store.SetDefaultMethod(user, string(method)); err != nil {
		return err
	}
	return s.auditAs(store.AuditMethodChanged, user, actor, map[string]string{"default": string(method)})
}

// methodLabels names a user's methods for people, the default marked:
// "push and codes (default)", "text message to •••• 0958".
func methodLabels(m Methods) []string {
	var out []string
	for _, method := range m.List() {
		label := map[push.Method]string{
			push.MethodPush:  "push and codes",
			push.MethodSMS:   "text message to " + maskPhone(m.Phone),
			push.MethodVoice: "call to " + maskPhone(m.Phone),
		}[method]
		if method == m.Default {
			label += " (default)"
		}
		out = append(out, label)
	}
	return out
}
