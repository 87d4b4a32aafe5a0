// Package useragent describes a browser's User-Agent string in a few
// words a person reads at a glance: "Chrome on Linux", "Firefox on
// Windows", "Safari on iPhone".
//
// A sign-in request carries the User-Agent of the browser that asked for
// it, as the relying party saw it. The raw string ("Mozilla/5.0 (X11;
// Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0
// Safari/537.36") says the same in a form few people can read, and its
// every word is the caller's to choose. The description is made only of
// the fixed names in this package's tables: nothing of the input is ever
// copied into it, so it cannot carry control characters, markup or a
// disguised name. Versions are left out on purpose: the user is asked
// "is this you?", which the browser's and system's names answer.
package useragent

import "strings"

// Agent is what a User-Agent string says, in the tables' names; an empty
// field is not known.
type Agent struct {
	// Browser is the browser ("Chrome", "Firefox", "Safari", "In-app
	// browser"...) or the program ("curl", "Go HTTP client").
	Browser string
	// OS is the operating system or device ("Windows", "macOS", "Linux",
	// "Android", "iPhone", "iPad", "ChromeOS"...).
	OS string
}

// token is a word of the User-Agent string and the name it stands for.
type token struct{ word, name string }

// browsers are looked for in order: the first word found names the
// browser. Browsers built on Chromium or WebKit also say "Chrome" and
// "Safari", so the more specific come first.
var browsers = []token{
	{"EdgiOS/", "Edge"},
	{"EdgA/", "Edge"},
	{"Edg/", "Edge"},
	{"Edge/", "Edge"},
	{"OPR/", "Opera"},
	{"OPiOS/", "Opera"},
	{"OPT/", "Opera"},
	{"Opera", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"YaBrowser/", "Yandex Browser"},
	{"Vivaldi/", "Vivaldi"},
	{"UCBrowser/", "UC Browser"},
	{"DuckDuckGo/", "DuckDuckGo"},
	{"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"Firefox", "Firefox"},
	{"HeadlessChrome/", "Headless Chrome"},
	{"Chromium/", "Chromium"},
	{"Chrome", "Chrome"},
	{"Trident/", "Internet Explorer"},
	{"MSIE ", "Internet Explorer"},
	// Programs rather than browsers: worth saying, as a sign-in from a
	// script is not the user at a browser.
	{"curl/", "curl"},
	{"Wget/", "Wget"},
	{"Go-http-client/", "Go HTTP client"},
	{"python-requests/", "Python script"},
	{"Python-urllib/", "Python script"},
	{"okhttp/", "OkHttp app"},
}

// systems are looked for in order, the same way: iPhones say "like Mac OS
// X" and iPods "iPhone OS", Android and ChromeOS say "Linux", Windows
// Phone says "Android".
var systems = []token{
	{"Windows Phone", "Windows Phone"},
	{"iPod", "iPod touch"},
	{"iPhone", "iPhone"},
	{"iPad", "iPad"},
	{"CrOS ", "ChromeOS"},
	{"Android", "Android"},
	{"Windows", "Windows"},
	{"Win64", "Windows"},
	{"Win32", "Windows"},
	{"Macintosh", "macOS"},
	{"Mac OS X", "macOS"},
	{"FreeBSD", "FreeBSD"},
	{"OpenBSD", "OpenBSD"},
	{"NetBSD", "NetBSD"},
	{"Linux", "Linux"},
	{"X11", "Linux"},
}

// Names of browsers told by what they lack: Safari and the system's
// WebKit views say no name of their own.
const (
	safari         = "Safari"
	androidBrowser = "Android Browser"
	inApp          = "In-app browser"
)

// Parse says which browser and system ua names, as far as the tables know.
func Parse(ua string) Agent {
	a := Agent{Browser: find(ua, browsers), OS: find(ua, systems)}
	if a.Browser == "" {
		a.Browser = webkit(ua, a.OS)
	}
	if a.Browser == "Chrome" && strings.Contains(ua, "; wv)") {
		a.Browser = inApp // Android's WebView, inside an app
	}
	return a
}

// webkit names a WebKit browser that says no name of its own: Safari (and
// the old Android Browser) say "Version/"; apps that show pages in the
// system's web view say neither that nor "Safari".
func webkit(ua, os string) string {
	if !strings.Contains(ua, "AppleWebKit/") && !strings.Contains(ua, "AppleWebkit/") {
		return ""
	}
	named := strings.Contains(ua, "Version/") && strings.Contains(ua, "Safari/")
	switch {
	case named && os == "Android":
		return androidBrowser
	case named:
		return safari
	case os == "iPhone" || os == "iPad" || os == "iPod touch" || os == "Android":
		return inApp
	}
	return ""
}

// find returns the name of the first token of ts in ua, or "".
func find(ua string, ts []token) string {
	for _, t := range ts {
		if strings.Contains(ua, t.word) {
			return t.name
		}
	}
	return ""
}

// String says the agent in a few words: "Chrome on Linux", "Chrome",
// "Unknown browser on iPhone", or "" when nothing is known.
func (a Agent) String() string {
	switch {
	case a.Browser != "" && a.OS != "":
		return a.Browser + " on " + a.OS
	case a.Browser != "":
		return a.Browser
	case a.OS != "":
		return "Unknown browser on " + a.OS
	}
	return ""
}

// Describe says what browser and system ua names, e.g. "Firefox on
// Windows", or "" when it names none that this package knows.
func Describe(ua string) string { return Parse(ua).String() }

// Names returns every name Describe may put in a description: the
// browsers' and the systems'. Tests check descriptions against it.
func Names() (browserNames, systemNames []string) {
	seen := map[string]bool{}
	add := func(list *[]string, name string) {
		if !seen[name] {
			seen[name] = true
			*list = append(*list, name)
		}
	}
	for _, t := range browsers {
		add(&browserNames, t.name)
	}
	for _, n := range []string{safari, androidBrowser, inApp} {
		add(&browserNames, n)
	}
	for _, t := range systems {
		add(&systemNames, t.name)
	}
	return browserNames, systemNames
}
