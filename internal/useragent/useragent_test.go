package useragent

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/countersign/countersign/internal/textsafe"
)

// Real User-Agent strings of the major browsers on their systems, as the
// browsers send them (versions of late 2024 and 2025; older ones where a
// browser still turns up: Internet Explorer, the old Android Browser).
var cases = []struct {
	name, ua, want string
}{
	{"Chrome, Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Windows"},
	{"Chrome, macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on macOS"},
	{"Chrome, Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"},
	{"Chrome, Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
	{"Chrome, iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome on iPhone"},
	{"Chrome, ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on ChromeOS"},
	{"Headless Chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Headless Chrome on Linux"},
	{"Chromium, Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/120.0.6099.224 Chrome/120.0.6099.224 Safari/537.36", "Chromium on Linux"},
	{"Firefox, Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"},
	{"Firefox, macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"},
	{"Firefox, Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"},
	{"Firefox, Ubuntu", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"},
	{"Firefox, FreeBSD", "Mozilla/5.0 (X11; FreeBSD amd64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on FreeBSD"},
	{"Firefox, Android", "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "Firefox on Android"},
	{"Firefox, iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15", "Firefox on iPhone"},
	{"Safari, macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari on macOS"},
	{"Safari, iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iPhone"},
	{"Safari, iPad", "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1", "Safari on iPad"},
	{"Safari, iPod", "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1", "Safari on iPod touch"},
	{"Edge, Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge on Windows"},
	{"Edge, macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge on macOS"},
	{"Edge, Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.2903.87", "Edge on Android"},
	{"Edge, iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/131.2903.92 Mobile/15E148 Safari/605.1.15", "Edge on iPhone"},
	{"Edge (EdgeHTML), Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582", "Edge on Windows"},
	{"Edge, Windows Phone", "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063", "Edge on Windows Phone"},
	{"Opera, Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera on Windows"},
	{"Opera (Presto), Windows", "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18", "Opera on Windows"},
	{"Opera, Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0", "Opera on Android"},
	{"Samsung Internet, Android", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
	{"Vivaldi, Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18", "Vivaldi on Linux"},
	{"Yandex, Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 YaBrowser/24.10.0.0 Safari/537.36", "Yandex Browser on Windows"},
	{"UC Browser, Android", "Mozilla/5.0 (Linux; U; Android 10; en-US; RMX2020 Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36", "UC Browser on Android"},
	{"DuckDuckGo, Android", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile DuckDuckGo/5 Safari/537.36", "DuckDuckGo on Android"},
	{"Internet Explorer 11", "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer on Windows"},
	{"Internet Explorer 10", "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)", "Internet Explorer on Windows"},
	{"Android WebView", "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36", "In-app browser on Android"},
	{"old Android Browser", "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30", "Android Browser on Android"},
	{"in-app browser, iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.38.109]", "In-app browser on iPhone"},
	{"curl", "curl/8.5.0", "curl"},
	{"Wget", "Wget/1.21.4", "Wget"},
	{"Go", "Go-http-client/1.1", "Go HTTP client"},
	{"Python requests", "python-requests/2.32.3", "Python script"},
	{"only a name", "Firefox 140", "Firefox"},
	{"only a system", "Mozilla/5.0 (X11; Linux x86_64)", "Unknown browser on Linux"},
	{"empty", "", ""},
	{"nothing known", "Mozilla/5.0 (compatible; SomethingElse/1.0)", ""},
	{"text, not a user agent", "hello <b>world</b>", ""},
}

func TestDescribe(t *testing.T) {
	for _, c := range cases {
		if got := Describe(c.ua); got != c.want {
			t.Errorf("%s: Describe(%q) = %q, want %q", c.name, c.ua, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	ua := "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	if got := Parse(ua); got != (Agent{Browser: "Safari", OS: "iPhone"}) {
		t.Fatalf("Parse = %+v", got)
	}
}

// FuzzDescribe: whatever the User-Agent, a description is made of the
// tables' names only (nothing of the input reaches the screen), is clean
// text on one line, and is short.
func FuzzDescribe(f *testing.F) {
	for _, c := range cases {
		f.Add(c.ua)
	}
	browserNames, systemNames := Names()
	allowed := map[string]bool{"": true}
	for _, b := range browserNames {
		allowed[b] = true
		for _, s := range systemNames {
			allowed[b+" on "+s] = true
		}
	}
	for _, s := range systemNames {
		allowed["Unknown browser on "+s] = true
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := Describe(ua)
		if !allowed[got] {
			t.Fatalf("Describe(%q) = %q: not made of the tables' names", ua, got)
		}
		if !textsafe.IsClean(got) || !utf8.ValidString(got) || len(got) > 60 {
			t.Fatalf("Describe(%q) = %q: not short clean text", ua, got)
		}
		a := Parse(ua)
		if (a.Browser != "" && !slices.Contains(browserNames, a.Browser)) || (a.OS != "" && !slices.Contains(systemNames, a.OS)) {
			t.Fatalf("Parse(%q) = %+v", ua, a)
		}
		// Text around a user agent changes nothing when it holds no table word.
		if strings.Contains(ua, "\x00") {
			return
		}
		if Describe("\x00"+ua+"\x00") != got {
			t.Fatalf("Describe changed with NULs around %q", ua)
		}
	})
}
