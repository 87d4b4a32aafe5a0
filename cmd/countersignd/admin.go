package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/store"
)

// defaultPublicURL is where activation codes point when neither
// --public-url nor a serving process says otherwise: serve's default address.
const defaultPublicURL = "http://" + defaultAddr

// openAdmin opens the data directory for an admin command. With mustExist,
// a directory without a database is an error (a mistyped --data would
// otherwise silently start an empty server). The keys are created if
// missing, like the database.
func openAdmin(dir string, mustExist bool, publicURL string) (*server.Server, error) {
	db := databaseURL(dir)
	if mustExist && db == "" {
		if _, err := os.Stat(filepath.Join(dir, server.DatabaseFile)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no Countersign data in %s (%s is missing): give --data DIR, or start with countersignd user add NAME", dir, server.DatabaseFile)
		}
	}
	// Shared: what the command changes reaches the devices connected to a
	// serving process at once, through the event log.
	srv, err := server.Open(dir, server.Config{PublicURL: publicURL, Shared: true, DatabaseURL: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	return srv, nil
}

func cmdUserAdd(args []string, stdout io.Writer) error {
	fs, data := newFlags("user add")
	requireMFA := fs.Bool("require-mfa", true, "require the second factor for this user")
	pos, err := parse(fs, args, 1, "a user name: countersignd user add NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, false, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.AddUser(pos[0], *requireMFA); err != nil {
		return fmt.Errorf("adding user: %w", err)
	}
	fmt.Fprintf(stdout, "added user %s (require MFA: %t); enroll a device with: countersignd enroll %s\n", pos[0], *requireMFA, pos[0])
	return nil
}

// userJSON is one user in user list --json.
type userJSON struct {
	Name          string    `json:"name"`
	Blocked       bool      `json:"blocked"`
	RequireMFA    bool      `json:"require_mfa"`
	ActiveDevices int       `json:"active_devices"`
	Created       time.Time `json:"created"`
}

func cmdUserList(args []string, stdout io.Writer) error {
	fs, data := newFlags("user list")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	users, err := srv.Store().Users()
	if err != nil {
		return fmt.Errorf("listing users: %w", err)
	}
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		devices, err := srv.Store().Devices(u.Name)
		if err != nil {
			return fmt.Errorf("listing the devices of %s: %w", u.Name, err)
		}
		n := 0
		for _, d := range devices {
			if d.Active() {
				n++
			}
		}
		out = append(out, userJSON{Name: u.Name, Blocked: u.Blocked, RequireMFA: u.RequireMFA, ActiveDevices: n, Created: u.Created.UTC()})
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tBLOCKED\tREQUIRE MFA\tDEVICES\tCREATED")
	for _, u := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", u.Name, yesNo(u.Blocked), yesNo(u.RequireMFA), u.ActiveDevices, u.Created.Format(time.RFC3339))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // URIs as they are: & not \u0026
	return enc.Encode(v)
}

func cmdUserBlock(args []string, stdout io.Writer, block bool) error {
	name := "user unblock"
	if block {
		name = "user block"
	}
	fs, data := newFlags(name)
	pos, err := parse(fs, args, 1, "a user name: countersignd "+name+" NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.SetBlocked(pos[0], block); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if block {
		fmt.Fprintf(stdout, "blocked %s: sign-ins and one-time codes are refused until countersignd user unblock %s\n", pos[0], pos[0])
	} else {
		fmt.Fprintf(stdout, "unblocked %s\n", pos[0])
	}
	return nil
}

func cmdEnroll(args []string, stdout io.Writer) error {
	fs, data := newFlags("enroll")
	asJSON := fs.Bool("json", false, "print JSON: activation_uri, enroll_url, expires_at")
	publicURL := fs.String("public-url", "", "URL of the server in the code (default: the one serve recorded, else "+defaultPublicURL+")")
	pos, err := parse(fs, args, 1, "a user name: countersignd enroll NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, *publicURL)
	if err != nil {
		return err
	}
	if srv.PublicURL() == "" { // neither the flag nor a serving process said
		srv.Close()
		if srv, err = openAdmin(*data, true, defaultPublicURL); err != nil {
			return err
		}
	}
	defer srv.Close()
	e, err := srv.Enroll(pos[0])
	if err != nil {
		return fmt.Errorf("enrolling: %w", err)
	}
	e.ExpiresAt = e.ExpiresAt.UTC()
	if *asJSON {
		return writeJSON(stdout, e)
	}
	qr, err := terminalQR(e.ActivationURI)
	if err != nil {
		return fmt.Errorf("drawing the QR code: %w", err)
	}
	fmt.Fprintf(stdout, "activation_uri: %s\nenroll_url: %s\nexpires_at: %s\n\n", e.ActivationURI, e.EnrollURL, e.ExpiresAt.Format(time.RFC3339))
	fmt.Fprint(stdout, qr)
	fmt.Fprintf(stdout, "\nScan it with the Countersign app (single use, until %s), or open the enrollment page.\n", e.ExpiresAt.Format(time.RFC3339))
	return nil
}

func cmdRPAdd(args []string, stdout io.Writer) error {
	fs, data := newFlags("rp add")
	webhook := fs.String("webhook", "", "URL to POST decisions to (https, or http on loopback)")
	approveOnly := fs.Bool("approve-only", false, "push requests need no number typed on the device (weaker: for Duo integrations that cannot show the number)")
	asJSON := fs.Bool("json", false, "print the credentials as JSON")
	pos, err := parse(fs, args, 1, "a relying-party name: countersignd rp add NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, false, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	c, err := srv.NewRelyingParty(pos[0], server.RelyingPartyOptions{WebhookURL: *webhook, ApproveOnly: *approveOnly})
	if err != nil {
		return fmt.Errorf("adding relying party: %w", err)
	}
	c.APIHostname = duoAPIHostname(srv)
	if *asJSON {
		out := struct {
			server.RelyingPartyCredentials
			WebhookSecret string `json:"webhook_secret,omitempty"`
		}{RelyingPartyCredentials: c}
		if *webhook != "" {
			out.WebhookSecret = c.WebhookSecret
		}
		return writeJSON(stdout, out) // as rp duo-keys --json prints them
	}
	fmt.Fprintf(stdout, "added relying party %s\n", pos[0])
	if *webhook != "" {
		fmt.Fprintf(stdout, "webhook: %s\nwebhook secret (HMAC-SHA256 key of the %s header): %s\n", *webhook, server.WebhookSignatureHeader, c.WebhookSecret)
	}
	if *approveOnly {
		fmt.Fprintln(stdout, "approve-only: its push requests need no number typed on the device (weaker)")
	}
	fmt.Fprintf(stdout, "Duo Auth API (for Duo's client libraries): integration key %s, secret key %s, API hostname %s\n", c.IKey, c.SKey, c.APIHostname)
	fmt.Fprintln(stdout, "API key (send it as Authorization: Bearer KEY; shown once, only its hash is kept):")
	fmt.Fprintln(stdout, c.APIKey)
	return nil
}

// deviceJSON is one device in devices --json.
type deviceJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Kind is app (the Countersign app) or otp (another authenticator app).
	Kind string `json:"kind"`
	// State is active, pending (waits for an approval) or revoked.
	State   string    `json:"state"`
	Active  bool      `json:"active"`
	Created time.Time `json:"created"`
	Revoked time.Time `json:"revoked,omitzero"`
}

func cmdDevices(args []string, stdout io.Writer) error {
	fs, data := newFlags("devices")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, "a user name: countersignd devices NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if _, err := srv.Store().User(pos[0]); err != nil {
		return fmt.Errorf("listing devices: %w", err)
	}
	devices, err := srv.Store().Devices(pos[0])
	if err != nil {
		return fmt.Errorf("listing devices: %w", err)
	}
	out := make([]deviceJSON, 0, len(devices))
	for _, d := range devices {
		dj := deviceJSON{ID: d.ID, Name: d.Name, Kind: d.Kind, State: "active", Active: d.Active(), Created: d.Created.UTC()}
		switch {
		case !d.Revoked.IsZero():
			dj.State, dj.Revoked = "revoked", d.Revoked.UTC()
		case d.Pending:
			dj.State = "pending"
		}
		out = append(out, dj)
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(stdout, "%s has no device; enroll one with: countersignd enroll %s\n", pos[0], pos[0])
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tCREATED\tSTATUS")
	for _, d := range out {
		status := d.State
		switch d.State {
		case "revoked":
			status = "revoked " + d.Revoked.Format(time.RFC3339)
		case "pending":
			status = "waits for approval (countersignd device approve " + d.ID + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.ID, textsafe.Clean(d.Name), d.Kind, d.Created.Format(time.RFC3339), status)
	}
	return tw.Flush()
}

func cmdDeviceRevoke(args []string, stdout io.Writer) error {
	return deviceCommand(args, stdout, deviceAction{
		name: "revoke", doing: "revoking", which: "them",
		do:   (*server.Server).RevokeDevice,
		done: "revoked device %s: it can no longer connect, answer or sign in with its codes; the user's other devices are told\n",
	})
}

func cmdDeviceApprove(args []string, stdout io.Writer) error {
	return deviceCommand(args, stdout, deviceAction{
		name: "approve", doing: "approving", which: "the pending ones",
		do:   (*server.Server).ApproveDevice,
		done: "approved device %s: it can now sign in; the user's other devices are told\n",
	})
}

// deviceAction is an administrator's command on one device.
type deviceAction struct {
	name, doing string                             // "revoke", "revoking"
	which       string                             // what devices NAME lists for it
	do          func(*server.Server, string) error // the action, by device id
	done        string                             // printed with the id when done
}

// deviceCommand runs "countersignd device NAME ID".
func deviceCommand(args []string, stdout io.Writer, a deviceAction) error {
	fs, data := newFlags("device " + a.name)
	pos, err := parse(fs, args, 1, fmt.Sprintf("a device id: countersignd device %s ID (countersignd devices NAME lists %s)", a.name, a.which))
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := a.do(srv, pos[0]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s: %w (countersignd devices NAME lists the ids)", a.doing, err)
		}
		return fmt.Errorf("%s: %w", a.doing, err)
	}
	fmt.Fprintf(stdout, a.done, pos[0])
	return nil
}
