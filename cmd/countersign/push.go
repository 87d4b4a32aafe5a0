package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/vault"
)

// cmdActivate activates a push account from an activation URI.
func cmdActivate(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	name := fs.String("device-name", "", "how the server names this device (default: Countersign on HOSTNAME)")
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("activate: give one countersign://activate URI, or - to read it from standard input (see countersign activate --help)")
	}
	if pos, err = c.stdinArgs(cmd.name, pos); err != nil {
		return err
	}
	if *name == "" {
		*name = authenticator.DeviceName()
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := authenticator.ActivateAccount(ctx, v, pos[0], *name)
	if dup, ok := errors.AsType[*authenticator.AlreadyEnrolledError](err); ok {
		return fmt.Errorf("activating: %s on this server is already in Countersign; remove it first (countersign delete %s) to enroll this desktop again",
			label(dup.Existing), dup.Existing.ID)
	}
	if err != nil {
		return fmt.Errorf("activating: %w", err)
	}
	fmt.Fprintf(c.stdout, "activated\t%s\t%s\n", res.Account.ID, label(res.Account))
	if res.Pending {
		fmt.Fprintln(c.stdout, res.ApprovalMessage())
	}
	return nil
}

// requestJSON is one pending sign-in request as `requests --json` prints it.
type requestJSON struct {
	ID   string `json:"id"`
	User string `json:"user"`
	// Application is the registered name of the application that asks,
	// Kind what for (sign_in, add_device, remove_device); App is the
	// caller's own detail (the context's app).
	Application string           `json:"application"`
	Kind        push.RequestKind `json:"kind"`
	App         string           `json:"app"`
	IP          string           `json:"ip"`
	Location    string           `json:"location"`
	UserAgent   string           `json:"user_agent"`
	Account     string           `json:"account"`
	ExpiresAt   time.Time        `json:"expires_at"`
	// ApproveOnly: the application shows no number; approve needs none
	// (the flag is signed by the server with the request).
	ApproveOnly bool `json:"approve_only"`
}

// startPush connects every push account of v; notices go to standard
// error as they come: the server gives each notice to a device once, so
// the app on this device will not see those that this command was given.
func (c *cli) startPush(ctx context.Context, v *vault.Vault) (*authenticator.Sessions, error) {
	s := authenticator.NewSessions(ctx, v, func(accountID string, ev device.Event) {
		if ev.Kind != device.EventNotice {
			return
		}
		a, _ := v.Account(accountID)
		fmt.Fprintf(c.stderr, "countersign: %s: your account changed: %s (%s)\n", textsafe.Clean(label(a)),
			textsafe.Clean(ev.Notice.Text), ev.Notice.Time.Local().Format(time.DateTime))
	})
	if err := s.Start(); errors.Is(err, authenticator.ErrNoPushAccount) {
		return nil, errors.New("the vault has no push account; add one with countersign activate URI")
	} else if err != nil {
		return nil, err
	}
	return s, nil
}

// pending returns every pending request with its account, as `requests
// --json` prints them.
func pending(s *authenticator.Sessions) []requestJSON {
	var out []requestJSON
	for _, p := range s.Pending() {
		out = append(out, requestJSONOf(p.Request, p.Account))
	}
	return out
}

// requestJSONOf is r of account a as `requests --json` prints it: the
// server's text as it is (writeJSON escapes it).
func requestJSONOf(r push.Request, a vault.Account) requestJSON {
	kind := r.Kind
	if kind == "" {
		kind = push.KindSignIn
	}
	return requestJSON{ID: r.ID, User: r.User, Application: r.Application, Kind: kind, App: r.Context.App, IP: r.Context.IP,
		Location: r.Context.Location, UserAgent: r.Context.UserAgent, Account: a.Label(), ExpiresAt: r.ExpiresAt.UTC(),
		ApproveOnly: r.ApproveOnly}
}

// approveOnlyNote is the requests table's word on an approve-only sign-in.
const approveOnlyNote = "no number to type: approve only if you are signing in to it right now"

// requestLine is one request as the requests table shows it: ID, account,
// application, IP, location, expiry, then what is asked (the detail of a
// sign-in; the question of the server's own requests). Every field comes
// from the server (the account's label too, from the activation): control,
// bidi and invisible characters are removed so that none can rewrite the
// terminal or disguise what is shown.
func requestLine(r requestJSON) string {
	t := authenticator.DescribeRequest(push.Request{Application: r.Application, Kind: r.Kind, Context: push.Context{App: r.App}, ApproveOnly: r.ApproveOnly})
	what := t.Question
	if t.Kind == push.KindSignIn {
		var parts []string
		if t.Detail != "" {
			parts = append(parts, "Detail: "+t.Detail)
		}
		if t.ApproveOnly != "" {
			// As the app's dialog says it: no number to match, so approving
			// is safe only for a sign-in the user is making now.
			parts = append(parts, approveOnlyNote)
		}
		what = strings.Join(parts, "; ")
	}
	return strings.TrimRight(fmt.Sprintf("%s\t%s\t%s\t%s\t%s\texpires %s\t%s", textsafe.Clean(r.ID), textsafe.Clean(r.Account), t.Application,
		textsafe.Clean(r.IP), textsafe.Clean(r.Location), r.ExpiresAt.Local().Format(time.TimeOnly), what), "\t")
}

// cmdRequests prints the pending sign-in requests, waiting up to --wait for one.
func cmdRequests(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	wait := fs.Duration("wait", 0, "wait up to `D` (e.g. 30s) for a request when none is pending")
	asJSON := fs.Bool("json", false, "print JSON: an array of objects with id, user, application, kind, app, ip, location, user_agent, account, expires_at, approve_only")
	if _, err := c.parse(fs, cmd, args); err != nil {
		return err
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.startPush(ctx, v)
	if err != nil {
		return err
	}
	cctx, ccancel := context.WithTimeout(ctx, 20*time.Second)
	defer ccancel()
	if err := s.WaitConnected(cctx); err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	deadline := time.After(*wait)
	for len(s.Pending()) == 0 && *wait > 0 {
		select {
		case <-deadline:
			*wait = 0
		case <-s.Changed():
		case <-time.After(200 * time.Millisecond):
		}
	}
	return printRequests(c, pending(s), *asJSON)
}

// printRequests prints pending requests as a table, cleaned (see
// requestLine), or as JSON, which keeps the server's text, escaped (see
// writeJSON).
func printRequests(c *cli, reqs []requestJSON, asJSON bool) error {
	if asJSON {
		if reqs == nil {
			reqs = []requestJSON{}
		}
		return writeJSON(c, reqs)
	}
	if len(reqs) == 0 {
		fmt.Fprintln(c.stdout, "no pending sign-in request")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, r := range reqs {
		fmt.Fprintln(tw, requestLine(r))
	}
	return tw.Flush()
}

func cmdApprove(c *cli, cmd *command, args []string) error {
	return answerCommand(c, cmd, args, push.Approve)
}
func cmdDeny(c *cli, cmd *command, args []string) error {
	return answerCommand(c, cmd, args, push.Deny)
}
func cmdFraud(c *cli, cmd *command, args []string) error {
	return answerCommand(c, cmd, args, push.Fraud)
}

// answerCommand answers one pending request and prints the server's verdict.
// It fails unless the request ends as the user asked.
func answerCommand(c *cli, cmd *command, args []string, decision push.Decision) error {
	fs := c.flags(cmd)
	number := new(string)
	if decision == push.Approve {
		number = fs.String("number", "", "the `N`umber shown on the sign-in screen, or on the new device for a device's approval (required)")
	}
	pos, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("%s: give the request ID (countersign requests lists them)", cmd.name)
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := c.startPush(ctx, v)
	if err != nil {
		return err
	}
	if err := s.WaitConnected(ctx); err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	pr, ok := s.Find(pos[0])
	if !ok {
		return fmt.Errorf("no pending sign-in request %q: it may have expired or been answered elsewhere (countersign requests lists them)", pos[0])
	}
	// An approve-only request (its application shows no number) needs
	// none; the client sends the marker.
	if decision == push.Approve && strings.TrimSpace(*number) == "" && !pr.Request.ApproveOnly {
		return usageErrorf("approve: --number N is required: type the number shown on the sign-in screen")
	}
	reason := push.ReasonNone
	if decision == push.Deny {
		reason = push.ReasonNotMe
	}
	if err := s.Answer(ctx, pr.Account.ID, pr.Request, decision, reason, strings.TrimSpace(*number)); err != nil {
		return fmt.Errorf("answering: %w", err)
	}
	return report(ctx, c, s, pr.Request, decision, pr.Account)
}

// report waits for the server's verdict on request r and prints it: ID,
// account, status, and for the server's own requests what it did.
func report(ctx context.Context, c *cli, s *authenticator.Sessions, r push.Request, decision push.Decision, a vault.Account) error {
	ev, err := s.Result(ctx, r.ID)
	if err != nil {
		return err
	}
	return printVerdict(c, r, decision, a, ev)
}

// printVerdict prints the server's verdict ev on the answer to r: ID,
// account, status, and for the server's own requests what it did. It fails
// unless the request ended as decision asked.
func printVerdict(c *cli, r push.Request, decision push.Decision, a vault.Account, ev device.Event) error {
	t := authenticator.DescribeRequest(r)
	if ev.Err != nil {
		return fmt.Errorf("the server refused the answer: %w", ev.Err)
	}
	line := fmt.Sprintf("%s\t%s\t%s", textsafe.Clean(r.ID), label(a), textsafe.Clean(string(ev.Status)))
	if what := outcome(t, ev.Status, a); what != "" {
		line += "\t" + what
	}
	fmt.Fprintln(c.stdout, line)
	want := map[push.Decision]push.Status{push.Approve: push.StatusApproved, push.Deny: push.StatusDenied, push.Fraud: push.StatusFraud}[decision]
	if ev.Status != want {
		if decision == push.Approve && ev.Status == push.StatusDenied {
			if t.Kind == push.KindSignIn {
				return errors.New("the request was denied: the number did not match the sign-in screen")
			}
			return fmt.Errorf("the request was denied: the number did not match the one shown on %s", t.NumberFrom)
		}
		return fmt.Errorf("the request ended %s, not %s", ev.Status, want)
	}
	return nil
}

// outcome says what a decided request of the server's own did, for
// account a of this device ("" for a sign-in).
func outcome(t authenticator.RequestText, status push.Status, a vault.Account) string {
	switch {
	case t.Kind == push.KindAddDevice && status == push.StatusApproved:
		return "the new device, " + t.Device + ", joins your account"
	case t.Kind == push.KindAddDevice:
		return "the new device, " + t.Device + ", was turned away"
	case t.Kind == push.KindRemoveDevice && status == push.StatusApproved:
		return "this device was removed from your account; countersign delete " + a.ID + " deletes its account here"
	case t.Kind == push.KindRemoveDevice:
		return "this device stays on your account"
	}
	return ""
}
