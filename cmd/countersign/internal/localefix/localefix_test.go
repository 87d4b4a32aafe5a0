package localefix

import (
	"os"
	"testing"
)

func TestIsPlainC(t *testing.T) {
	for locale, want := range map[string]bool{
		"C.UTF-8": true, "C.utf8": true, "POSIX.UTF-8": true, "C@euro": true,
		"C": false, "POSIX": false, "": false, "en_US.UTF-8": false, "Ca.UTF-8": false, "de_DE@euro": false,
	} {
		if got := IsPlainC(locale); got != want {
			t.Errorf("IsPlainC(%q) = %v, want %v", locale, got, want)
		}
	}
}

func TestApply(t *testing.T) {
	cases := []struct {
		lcAll, lcMessages, lang, language string
		changed                           bool
		wantLanguage                      string
	}{
		{lang: "C.UTF-8", changed: true, wantLanguage: "en"},
		{lcAll: "C.utf8", lang: "de_DE.UTF-8", changed: true, wantLanguage: "en"},
		{lcMessages: "POSIX.UTF-8", changed: true, wantLanguage: "en"},
		{lang: "C.UTF-8", language: "fr", changed: false, wantLanguage: "fr"},
		{lcAll: "en_GB.UTF-8", lang: "C.UTF-8", changed: false, wantLanguage: ""},
		{lang: "C", changed: false, wantLanguage: ""},
		{changed: false, wantLanguage: ""},
	}
	for _, c := range cases {
		t.Setenv("LC_ALL", c.lcAll)
		t.Setenv("LC_MESSAGES", c.lcMessages)
		t.Setenv("LANG", c.lang)
		t.Setenv("LANGUAGE", c.language)
		if got := Apply(); got != c.changed {
			t.Errorf("%+v: Apply() = %v, want %v", c, got, c.changed)
		}
		if got := os.Getenv("LANGUAGE"); got != c.wantLanguage {
			t.Errorf("%+v: LANGUAGE=%q, want %q", c, got, c.wantLanguage)
		}
	}
}
