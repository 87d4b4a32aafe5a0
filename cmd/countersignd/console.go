package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push/store"
)

// cmdAdmin manages the administrators of the web console (/admin): add,
// list, remove.
func cmdAdmin(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("admin needs a subcommand: add, list or remove")
	}
	switch args[0] {
	case "add":
		return cmdAdminAdd(args[1:], stdout)
	case "list":
		return cmdAdminList(args[1:], stdout)
	case "remove":
		return cmdAdminRemove(args[1:], stdout)
	}
	return usagef("unknown command admin %q: use add, list or remove", args[0])
}

func cmdAdminAdd(args []string, stdout io.Writer) error {
	fs, data := newFlags("admin add")
	passwordFile := fs.String("password-file", "", "file whose first line is the password")
	pos, err := parse(fs, args, 1, "a name: countersignd admin add NAME --password-file FILE")
	if err != nil {
		return err
	}
	if *passwordFile == "" {
		return usagef("admin add needs --password-file FILE (its first line is the password, at least 12 characters)")
	}
	password, err := readPasswordFile(*passwordFile)
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, false, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.AddAdmin(pos[0], password, "cli"); err != nil {
		return fmt.Errorf("adding administrator: %w", err)
	}
	fmt.Fprintf(stdout, "added administrator %s: they sign in at /admin with the password and a push to their own device", pos[0])
	if devices, err := srv.Store().Devices(pos[0]); err == nil && !hasActiveDevice(devices) {
		fmt.Fprintf(stdout, "; they have none yet: countersignd enroll %s", pos[0])
	}
	fmt.Fprintln(stdout)
	return nil
}

// readPasswordFile returns the first line of a password file.
func readPasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the password file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading the password file %s: %w", path, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// adminJSON is one administrator in admin list --json.
type adminJSON struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

func cmdAdminList(args []string, stdout io.Writer) error {
	fs, data := newFlags("admin list")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	admins, err := srv.Admins()
	if err != nil {
		return err
	}
	if *asJSON {
		out := []adminJSON{}
		for _, a := range admins {
			out = append(out, adminJSON{Name: a.Name, Created: a.Created.UTC()})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(admins) == 0 {
		fmt.Fprintln(stdout, "no administrators; add one with countersignd admin add NAME --password-file FILE")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDED")
	for _, a := range admins {
		fmt.Fprintf(tw, "%s\t%s\n", textsafe.Clean(a.Name), a.Created.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func cmdAdminRemove(args []string, stdout io.Writer) error {
	fs, data := newFlags("admin remove")
	pos, err := parse(fs, args, 1, "a name: countersignd admin remove NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.RemoveAdmin(pos[0], "cli"); err != nil {
		return fmt.Errorf("removing administrator: %w", err)
	}
	fmt.Fprintf(stdout, "%s is no longer an administrator (still a user); their console sessions ended\n", pos[0])
	return nil
}

// hasActiveDevice reports whether one of devices may sign its user in.
func hasActiveDevice(devices []store.Device) bool {
	for _, d := range devices {
		if d.Active() {
			return true
		}
	}
	return false
}
