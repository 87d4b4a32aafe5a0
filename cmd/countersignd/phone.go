package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/countersign/countersign/push"
)

// cmdUserPhone sets a user's phone number and phone methods:
//
//	countersignd user phone NAME +E164 [--methods sms,voice] [--default METHOD]
//	countersignd user phone NAME --remove
func cmdUserPhone(args []string, stdout io.Writer) error {
	fs, data := newFlags("user phone")
	methodsFlag := fs.String("methods", "sms,voice", "phone methods the user gets: sms, voice or both")
	defaultMethod := fs.String("default", "", "the user's default method: push, sms or voice (default: push when they have the app)")
	remove := fs.Bool("remove", false, "remove the phone number and the phone methods")
	want, what := 2, "NAME +E164"
	for _, a := range args {
		if a == "--remove" || a == "-remove" {
			want, what = 1, "NAME --remove"
		}
	}
	pos, err := parse(fs, args, want, what)
	if err != nil {
		return err
	}
	var phone string
	var methods []push.Method
	if !*remove {
		phone = pos[1]
		for _, m := range strings.Split(*methodsFlag, ",") {
			if m = strings.TrimSpace(m); m != "" {
				methods = append(methods, push.Method(m))
			}
		}
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.SetPhone(pos[0], phone, methods, "cli"); err != nil {
		return err
	}
	if *defaultMethod != "" {
		if err := srv.SetDefaultMethod(pos[0], push.Method(*defaultMethod), "cli"); err != nil {
			return err
		}
	}
	m, err := srv.UserMethods(pos[0])
	if err != nil {
		return err
	}
	if *remove {
		fmt.Fprintf(stdout, "%s has no phone now; methods: %s\n", pos[0], methodList(m.List()))
		return nil
	}
	fmt.Fprintf(stdout, "%s: phone %s; methods: %s; default: %s\n", pos[0], m.Phone, methodList(m.List()), m.Default)
	return nil
}

func methodList(ms []push.Method) string {
	if len(ms) == 0 {
		return "none"
	}
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}
