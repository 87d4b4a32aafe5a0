// Package localefix works around Fyne logging "Error parsing user locale C"
// on every start under the C locale written with a codeset (LANG=C.UTF-8, the
// default of Debian containers and CI machines): Fyne's locale lookup
// understands "C" and "POSIX" but not "C.UTF-8", and its lang package logs
// the failure from its init function, before main runs.
//
// Its init sets LANGUAGE=en when the messages locale is C or POSIX with a
// codeset and LANGUAGE is unset: Fyne then reads English, which is what the
// C locale means, and the C library ignores LANGUAGE under the C locale.
//
// Import it blank from package main. Go initializes packages in the order of
// their import paths among those whose imports are ready (the Go spec,
// "Package initialization"), so this package, which imports only os and
// strings, runs before fyne.io/fyne/v2/lang, which waits for packages sorting
// after github.com/countersign (github.com/jeandeaual/go-locale, golang.org/x/text).
package localefix

import (
	"os"
	"strings"
)

func init() { Apply() }

// Apply sets LANGUAGE=en when the messages locale (LC_ALL, else LC_MESSAGES,
// else LANG) is C or POSIX with a codeset, such as C.UTF-8, and LANGUAGE is
// unset. It reports whether it changed the environment.
func Apply() bool {
	if os.Getenv("LANGUAGE") != "" {
		return false
	}
	if !IsPlainC(messagesLocale()) {
		return false
	}
	return os.Setenv("LANGUAGE", "en") == nil
}

// messagesLocale is the locale that governs messages, as gettext reads it.
func messagesLocale() string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// IsPlainC reports whether locale is the C or POSIX locale with a codeset or
// modifier ("C.UTF-8", "C.utf8", "POSIX.UTF-8@x"), the forms Fyne cannot parse.
func IsPlainC(locale string) bool {
	i := strings.IndexAny(locale, ".@")
	if i < 0 {
		return false
	}
	return locale[:i] == "C" || locale[:i] == "POSIX"
}
