package main

import (
	"fmt"
	"io"
	"net/url"

	"github.com/countersign/countersign/push/server"
)

// cmdRPDuoKeys prints an application's Duo Auth API credentials, for an
// application added before they existed (the server gave it keys when it
// opened) or whose keys were not noted. Whoever runs it holds the data
// directory, and so the seal key: nothing more is revealed.
func cmdRPDuoKeys(args []string, stdout io.Writer) error {
	fs, data := newFlags("rp duo-keys")
	asJSON := fs.Bool("json", false, "print the credentials as JSON")
	pos, err := parse(fs, args, 1, "an application name: countersignd rp duo-keys NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	ikey, skey, err := srv.DuoCredentials(pos[0])
	if err != nil {
		return fmt.Errorf("%w (countersignd rp add %s makes an application)", err, pos[0])
	}
	host := duoAPIHostname(srv)
	if *asJSON {
		return writeJSON(stdout, struct {
			Name        string `json:"name"`
			IKey        string `json:"ikey"`
			SKey        string `json:"skey"`
			APIHostname string `json:"api_hostname"`
		}{pos[0], ikey, skey, host})
	}
	fmt.Fprintf(stdout, "Duo Auth API keys of %s: integration key %s, secret key %s, API hostname %s\n", pos[0], ikey, skey, host)
	return nil
}

// duoAPIHostname is the api_hostname Duo's clients are given: the host of
// the server's public URL, or, before a serving process recorded one, of
// the default.
func duoAPIHostname(srv *server.Server) string {
	if host := srv.DuoAPIHostname(); host != "" {
		return host
	}
	u, _ := url.Parse(defaultPublicURL)
	return u.Host
}
