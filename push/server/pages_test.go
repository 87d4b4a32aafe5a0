package server_test

import (
	"bytes"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/countersign/countersign/assets"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// pageHeaders are the security headers every page and every file of the
// pages is served with, over HTTP (hsts "") and HTTPS.
func pageHeaders(hsts string) map[string]string {
	return map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
			"form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
		"X-Frame-Options":           "DENY",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"Cache-Control":             "no-store",
		"Strict-Transport-Security": hsts,
	}
}

// TestEveryPageSharesHeadersAndStyle: the enrollment, self-service and demo
// pages, and every file under /static/, answer 200 with the same security
// headers (HSTS only with TLS); each page links the one style sheet and
// names its own body class, which scopes its own rules there.
func TestEveryPageSharesHeadersAndStyle(t *testing.T) {
	files, err := fs.Glob(assets.Web, "web/static/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("static files %v: %v", files, err)
	}
	css, err := fs.ReadFile(assets.Web, "web/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, tls := range []bool{false, true} {
		s := servertest.Start(t, server.Config{Demo: true, TLS: tls})
		if err := s.AddUser("ada", true); err != nil {
			t.Fatal(err)
		}
		enr, err := s.Enroll("ada")
		if err != nil {
			t.Fatal(err)
		}
		hsts := ""
		if tls {
			hsts = "max-age=31536000"
		}
		pages := map[string]string{"/": "page-demo", enr.EnrollURL[len(s.URL):]: "page-enroll", "/self-service": "page-self-service"}
		paths := []string{}
		for p := range pages {
			paths = append(paths, p)
		}
		for _, f := range files {
			paths = append(paths, strings.TrimPrefix(f, "web"))
		}
		for _, path := range paths {
			a := call(t, "GET", s.URL+path, nil, "")
			if a.status != http.StatusOK {
				t.Errorf("GET %s: HTTP %d", path, a.status)
			}
			for k, want := range pageHeaders(hsts) {
				if got := a.header.Get(k); got != want {
					t.Errorf("GET %s (TLS %v): %s: %q, want %q", path, tls, k, got, want)
				}
			}
			class, ok := pages[path]
			if !ok {
				continue
			}
			doc, err := html.Parse(bytes.NewReader(a.body))
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			var sheets []string
			bodyClass := ""
			for n := range doc.Descendants() {
				if n.Type != html.ElementNode {
					continue
				}
				attr := map[string]string{}
				for _, at := range n.Attr {
					attr[at.Key] = at.Val
				}
				if n.Data == "link" && attr["rel"] == "stylesheet" {
					sheets = append(sheets, attr["href"])
				}
				if n.Data == "body" {
					bodyClass = attr["class"]
				}
			}
			if len(sheets) != 1 || sheets[0] != "/static/style.css" {
				t.Errorf("GET %s links %q, want only /static/style.css", path, sheets)
			}
			if bodyClass != class {
				t.Errorf("GET %s: body class %q, want %q", path, bodyClass, class)
			}
			if !bytes.Contains(css, []byte("."+class+" ")) {
				t.Errorf("style.css has no rule scoped to .%s", class)
			}
		}
	}
}
