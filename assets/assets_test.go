package assets

import (
	"bytes"
	"image/png"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestIconIsA512PNGWithTransparentCorners(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(IconPNG))
	if err != nil {
		t.Fatalf("IconPNG is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("icon is %dx%d, want 512x512", b.Dx(), b.Dy())
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner alpha %d, want 0 (the shield stands on transparency)", a)
	}
	if _, _, _, a := img.At(256, 256).RGBA(); a != 0xffff {
		t.Errorf("centre alpha %d, want opaque", a)
	}
}

func TestFyneAppTomlNamesTheIcon(t *testing.T) {
	b, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Icon = "assets/` + IconName + `"`, `ID = "dev.countersign.app"`, `Name = "Countersign"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("FyneApp.toml has no %s", want)
		}
	}
}

// TestPagesHaveNoInlineScriptOrStyle parses every page of the server: no
// inline script, event handler, javascript: URL or style, so that the
// server's Content-Security-Policy (script-src 'self'; style-src 'self')
// can forbid them; every script and style sheet is a file of web/static,
// and every file there is used by a page.
func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	pages, err := fs.Glob(Web, "web/*.html")
	if err != nil || len(pages) != 3 {
		t.Fatalf("pages %v %v, want demo, enroll and self-service", pages, err)
	}
	pages = append(pages, "web/console/layout.html") // the console's pages' head (console_test.go checks the rest)
	used := map[string]bool{}
	for _, page := range pages {
		data, err := fs.ReadFile(Web, page)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		scripts, sheets := 0, []string{}
		for n := range doc.Descendants() {
			if n.Type != html.ElementNode {
				continue
			}
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
				switch {
				case strings.HasPrefix(a.Key, "on"):
					t.Errorf("%s: <%s %s=...>: an inline event handler", page, n.Data, a.Key)
				case a.Key == "style":
					t.Errorf("%s: <%s style=...>: an inline style", page, n.Data)
				case strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:"):
					t.Errorf("%s: <%s %s=%q>: a javascript: URL", page, n.Data, a.Key, a.Val)
				}
			}
			static := func(ref string) {
				if !strings.HasPrefix(ref, "/static/") {
					t.Errorf("%s: <%s> loads %q, not a file of /static/", page, n.Data, ref)
					return
				}
				if _, err := fs.Stat(Web, "web"+ref); err != nil {
					t.Errorf("%s: <%s> loads %s, which is not embedded: %v", page, n.Data, ref, err)
				}
				used["web"+ref] = true
			}
			switch n.Data {
			case "script":
				scripts++
				if n.FirstChild != nil {
					t.Errorf("%s: an inline script: %.60q", page, n.FirstChild.Data)
				}
				static(attr["src"])
			case "style":
				t.Errorf("%s: an inline <style>", page)
			case "link":
				if attr["rel"] == "stylesheet" || attr["rel"] == "icon" {
					static(attr["href"])
				}
				if attr["rel"] == "stylesheet" {
					sheets = append(sheets, attr["href"])
				}
			}
		}
		if scripts != 1 {
			t.Errorf("%s has %d scripts, want its own one", page, scripts)
		}
		if len(sheets) != 1 || sheets[0] != "/static/style.css" {
			t.Errorf("%s links the style sheets %q, want the pages' one, /static/style.css", page, sheets)
		}
	}
	files, _ := fs.Glob(Web, "web/static/*")
	for _, f := range files {
		if !used[f] {
			t.Errorf("%s is used by no page", f)
		}
	}
	if css, _ := fs.Glob(Web, "web/static/*.css"); len(css) != 1 || css[0] != "web/static/style.css" {
		t.Errorf("style sheets %v, want one for every page: web/static/style.css", css)
	}
}

// TestPageIconIsASmallCopyOfTheAppIcon: the pages' icon (without one,
// browsers ask for /favicon.ico, which the server does not have).
func TestPageIconIsASmallCopyOfTheAppIcon(t *testing.T) {
	data, err := fs.ReadFile(Web, "web/static/icon.png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("web/static/icon.png is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
		t.Errorf("the page icon is %dx%d, want 64x64", b.Dx(), b.Dy())
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner alpha %d, want 0 like the app icon", a)
	}
}

// TestScriptsNeedNothingTheCSPForbids reads the pages' scripts: no eval or
// string-compiled code ('unsafe-eval'), no inline style or event handler
// set from script, no HTML built from strings (text from the server goes
// in with textContent), and a script that POSTs declares its bodies JSON
// (the server refuses other POSTs; the browser tests check every POST).
func TestScriptsNeedNothingTheCSPForbids(t *testing.T) {
	forbidden := []struct{ re, why string }{
		{`\beval\s*\(`, "eval"},
		{`new\s+Function\b`, "new Function"},
		{"set(Timeout|Interval)\\s*\\(\\s*[\"'`]", "a timer with a string"},
		{`setAttribute\s*\(\s*["'](style|on\w+)["']`, "an inline style or handler"},
		{`\.innerHTML\s*=\s*[^"\s]|\.innerHTML\s*=\s*"[^"]`, "HTML from a string"},
		{`outerHTML\s*=|insertAdjacentHTML|document\.write`, "HTML from a string"},
		{`\bconfirm\s*\(|\balert\s*\(|\bprompt\s*\(`, "a modal dialog"},
	}
	scripts, _ := fs.Glob(Web, "web/static/*.js")
	if len(scripts) != 4 {
		t.Fatalf("scripts %v", scripts)
	}
	for _, name := range scripts {
		data, err := fs.ReadFile(Web, name)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		for _, f := range forbidden {
			if loc := regexp.MustCompile(f.re).FindStringIndex(src); loc != nil {
				t.Errorf("%s: %s: %q", name, f.why, src[loc[0]:min(loc[1]+30, len(src))])
			}
		}
		if strings.Contains(src, `"POST"`) && !strings.Contains(src, `"Content-Type"`) {
			t.Errorf("%s POSTs without declaring the body JSON", name)
		}
	}
}
