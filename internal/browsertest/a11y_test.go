package browsertest

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/countersign/countersign/push/server"
)

// a11yProblems lists what a keyboard or screen-reader user would miss on
// the page as shown: inputs without a label, buttons without a name,
// images without a text, no live region for changes, no language.
const a11yProblems = `(() => {
	const out = [];
	const shown = e => e.getClientRects().length > 0;
	for (const i of document.querySelectorAll("input, select, textarea"))
		if (!(i.labels && i.labels.length) && !i.getAttribute("aria-label") && !i.getAttribute("aria-labelledby")) out.push("an input without a label: #" + i.id);
	for (const b of document.querySelectorAll("button"))
		if (!b.textContent.trim() && !b.getAttribute("aria-label")) out.push("a button without a name: #" + b.id);
	for (const img of document.querySelectorAll("img"))
		if (!img.alt) out.push("an image without a text: #" + img.id);
	if (!document.querySelector("[aria-live], [role=status], [role=alert]")) out.push("no live region for changes");
	if (!document.documentElement.lang) out.push("no language");
	return out;
})()`

// focusRing is the outline of the focused element, and its id.
type focusRing struct {
	ID, Tag, Style string
	Width          float64
}

// TestPagesAccessibility: on the enrollment, self-service and demo pages,
// every input has a label, every button and image a name, changes are
// announced (a live region), and Tab reaches each control with a visible
// focus ring, at a phone's width too.
func TestPagesAccessibility(t *testing.T) {
	srv := start(t, server.Config{Demo: true})
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	for _, p := range []struct{ url, ready string }{
		{enr.EnrollURL, "scan"},
		{srv.URL + "/self-service", "signin"},
		{srv.URL + "/", "form"},
	} {
		for _, width := range []int64{900, 375} {
			b.viewport(width, 812)
			b.open(p.url)
			b.waitShown(p.ready, wait)
			var problems []string
			b.eval(a11yProblems, &problems)
			for _, pr := range problems {
				t.Errorf("%s: %s", p.url, pr)
			}
			// Tab through the page: every stop shows a focus ring.
			b.eval(`document.activeElement && document.activeElement.blur()`, nil)
			stops := 0
			for i := 0; i < 8; i++ {
				b.do("pressing Tab", chromedp.KeyEvent("\t"))
				var f focusRing
				b.eval(`(e => ({id: e.id, tag: e.tagName, style: getComputedStyle(e).outlineStyle, width: parseFloat(getComputedStyle(e).outlineWidth)}))(document.activeElement)`, &f)
				if f.Tag == "BODY" {
					break
				}
				stops++
				if f.Style == "none" || f.Width < 2 {
					t.Errorf("%s at %d px: the focused %s #%s has no visible focus ring (%s %v px)", p.url, width, f.Tag, f.ID, f.Style, f.Width)
				}
			}
			if stops == 0 {
				t.Errorf("%s: Tab reaches nothing", p.url)
			}
		}
	}
	b.viewport(900, 900)
}
