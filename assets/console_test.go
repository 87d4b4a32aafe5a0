package assets

import (
	"io/fs"
	"regexp"
	"testing"
)

// TestConsoleTemplatesHaveNoInlineScriptOrStyle: the console's templates
// (html/template files, so not all parseable as HTML alone) have no script
// element but the layout's one file, no inline handler, style or
// javascript: URL; every input has a label or is hidden.
func TestConsoleTemplatesHaveNoInlineScriptOrStyle(t *testing.T) {
	pages, err := fs.Glob(Web, "web/console/*.html")
	if err != nil || len(pages) < 10 {
		t.Fatalf("console templates %v %v", pages, err)
	}
	forbidden := []struct{ re, why string }{
		{`(?i)<script(\s+[^>]*)?>[^<]`, "an inline script"},
		{`(?i)\son[a-z]+\s*=`, "an inline event handler"},
		{`(?i)\sstyle\s*=`, "an inline style"},
		{`(?i)<style`, "a style element"},
		{`(?i)javascript:`, "a javascript: URL"},
		{`(?i)https?://`, "an external address"},
	}
	inputID := regexp.MustCompile(`<(?:input|select)\s[^>]*?\bid="([^"]+)"`)
	for _, page := range pages {
		data, err := fs.ReadFile(Web, page)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		for _, f := range forbidden {
			if loc := regexp.MustCompile(f.re).FindStringIndex(src); loc != nil {
				t.Errorf("%s: %s: %q", page, f.why, src[loc[0]:min(loc[1]+30, len(src))])
			}
		}
		scripts := regexp.MustCompile(`<script\s`).FindAllString(src, -1)
		if want := map[bool]int{true: 1, false: 0}[page == "web/console/layout.html"]; len(scripts) != want {
			t.Errorf("%s has %d script elements, want %d", page, len(scripts), want)
		}
		for _, m := range inputID.FindAllStringSubmatch(src, -1) {
			if !regexp.MustCompile(`<label[^>]*\bfor="` + regexp.QuoteMeta(m[1]) + `"`).MatchString(src) {
				t.Errorf("%s: input #%s has no label", page, m[1])
			}
		}
	}
}
