package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// wait bounds each step in the browser.
const wait = 15 * time.Second

// browser is a headless Chromium with one tab, watched for console errors,
// exceptions and CSP violations, and for POSTs that are not JSON.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
	shotN int // screenshots taken
	n     int // markers and marked buttons

	mu       sync.Mutex
	problems []string // console errors, exceptions, CSP violations
	notes    []string // the other console messages
	posts    []string // "URL Content-Type" of every POST
	markers  chan string
}

// markerPrefix starts the console lines flush writes to know that every
// message before it was seen.
const markerPrefix = "browsertest-marker-"

// chromium finds the browser, or skips the test: only outside CI, where
// make test installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: make test installs it (scripts/deps.sh test)")
	}
	t.Skip("chromium is not installed (apt-get install chromium, or make test installs it)")
	return ""
}

// newBrowser starts a fresh headless Chromium (its own profile) for t,
// stopped when t ends; when t ends it also fails t on any problem seen.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-GB"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx, markers: make(chan string, 16)}
	if b.shots = os.Getenv("COUNTERSIGN_SCREENSHOTS"); b.shots == "" {
		b.shots = t.TempDir()
	} else if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		t.Fatalf("starting %s: %v", path, err)
	}

	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.console(m)
		}
	}()
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.Method == "POST" {
			ct := ""
			for k, v := range e.Request.Headers {
				if strings.EqualFold(k, "Content-Type") {
					ct, _ = v.(string)
				}
			}
			b.mu.Lock()
			b.posts = append(b.posts, e.Request.URL+" "+ct)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every violation of the pages' Content-Security-Policy goes to the
	// console as an error (Chromium reports most of them there too; this
	// catches all). DevTools adds this script, so the policy allows it.
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		document.addEventListener("securitypolicyviolation", e =>
			console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "?") + " at " + e.sourceFile + ":" + e.lineNumber));`})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.checkClean)
	return b
}

func (b *browser) console(m chromedp.ConsoleMessage) {
	if strings.HasPrefix(m.Text, markerPrefix) {
		select {
		case b.markers <- m.Text:
		default:
		}
		return
	}
	line := fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1)
	b.mu.Lock()
	defer b.mu.Unlock()
	// The API answers refusals with an error status (a wrong code: 401),
	// which Chromium logs as a failed load; the pages read and show them.
	// A failed load of anything else (a page, a script, an image, the
	// icon) is a problem.
	apiAnswer := m.Source == "network" && strings.Contains(m.URL, "/v1/")
	if !apiAnswer && (m.Type == chromedp.ConsoleError || m.IsException()) || cspMessage(m.Text) {
		b.problems = append(b.problems, line)
	} else {
		b.notes = append(b.notes, line)
	}
}

// cspMessage reports whether a console text is about the CSP.
func cspMessage(text string) bool {
	return strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Content-Security-Policy") ||
		strings.Contains(text, "CSP violation") || strings.Contains(text, "Refused to")
}

// flush waits until every console message written so far was seen.
func (b *browser) flush() {
	b.t.Helper()
	b.n++
	marker := fmt.Sprintf("%s%d", markerPrefix, b.n)
	b.eval(fmt.Sprintf("console.log(%q)", marker), nil)
	timeout := time.After(wait)
	for {
		select {
		case m := <-b.markers:
			if m == marker {
				return
			}
		case <-timeout:
			b.t.Fatalf("the console message %s did not arrive", marker)
		}
	}
}

// takeProblems returns and forgets the problems seen so far.
func (b *browser) takeProblems() []string {
	b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// checkClean fails the test on any console error, exception or CSP
// violation, and on a POST that does not declare JSON.
func (b *browser) checkClean() {
	b.t.Helper()
	if b.ctx.Err() != nil {
		return
	}
	for _, p := range b.takeProblems() {
		b.t.Errorf("browser console: %s", p)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.posts {
		if !strings.HasSuffix(p, " application/json") {
			b.t.Errorf("a POST that is not JSON: %s", p)
		}
	}
	if b.t.Failed() && len(b.notes) > 0 {
		b.t.Logf("other console messages:\n%s", strings.Join(b.notes, "\n"))
	}
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a page.
func (b *browser) open(url string) {
	b.t.Helper()
	b.do("opening "+url, chromedp.Navigate(url))
}

// eval evaluates a JavaScript expression in the page (as DevTools does,
// so the page's CSP does not apply to it) and decodes its value into out
// (nil: ignored).
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("evaluating %s: %v in %s", expr, err, raw)
		}
	}
}

// waitFor waits until a JavaScript expression is true, for at most within;
// it returns how long that took. (chromedp.Poll would compile the
// predicate with new Function, which the pages' CSP forbids.)
func (b *browser) waitFor(what, expr string, within time.Duration) time.Duration {
	b.t.Helper()
	start := time.Now()
	for {
		var ok bool
		b.eval("!!("+expr+")", &ok)
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > within {
			b.shot("timeout")
			b.t.Fatalf("%s: not within %v (%s); the page says: %q", what, within, expr, b.pageText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shown is the expression that an element is displayed.
func shown(id string) string {
	return fmt.Sprintf(`(e => !!e && e.getClientRects().length > 0)(document.getElementById(%q))`, id)
}

// waitShown waits until element id is displayed and returns how long it took.
func (b *browser) waitShown(id string, within time.Duration) time.Duration {
	b.t.Helper()
	return b.waitFor("#"+id+" shown", shown(id), within)
}

// isShown reports whether element id is displayed now.
func (b *browser) isShown(id string) bool {
	b.t.Helper()
	var ok bool
	b.eval(shown(id), &ok)
	return ok
}

// text is the text of element id as shown (innerText).
func (b *browser) text(id string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`(e => e ? e.innerText : "")(document.getElementById(%q))`, id), &s)
	return strings.TrimSpace(s)
}

// pageText is the text of the whole page, for failures.
func (b *browser) pageText() string {
	var s string
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	if raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`document.body ? document.body.innerText : ""`)); err == nil {
		json.Unmarshal(raw, &s)
	}
	return s
}

// click clicks element id with the mouse.
func (b *browser) click(id string) {
	b.t.Helper()
	b.do("clicking #"+id, chromedp.Click(chromedp.ID(id), chromedp.NodeVisible))
}

// clickText clicks the button whose text is text.
func (b *browser) clickText(text string) {
	b.t.Helper()
	b.do("clicking the button "+text, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-browsertest=%q]`, b.markButton(text))), chromedp.NodeVisible))
}

// markButton marks the one displayed button whose text is text, for a
// selector.
func (b *browser) markButton(text string) string {
	b.t.Helper()
	b.n++
	mark := fmt.Sprint(b.n)
	var found int
	b.eval(fmt.Sprintf(`(() => { const bs = [...document.querySelectorAll("button")].filter(x => x.innerText.trim() === %q && x.getClientRects().length > 0);
		if (bs.length === 1) bs[0].dataset.browsertest = %q; return bs.length; })()`, text, mark), &found)
	if found != 1 {
		b.t.Fatalf("%d buttons %q on the page: %q", found, text, b.pageText())
	}
	return mark
}

// clear empties input id (chromedp.Clear only resets the value attribute,
// not what was typed).
func (b *browser) clear(id string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`document.getElementById(%q).value = ""`, id), nil)
}

// typeInto types text into input id, as the keyboard does.
func (b *browser) typeInto(id, text string) {
	b.t.Helper()
	b.do("typing into #"+id, chromedp.SendKeys(chromedp.ID(id), text, chromedp.NodeVisible))
}

// imageLoaded waits until image id shows a picture.
func (b *browser) imageLoaded(id string) {
	b.t.Helper()
	b.waitFor("#"+id+" loaded", fmt.Sprintf(`(i => i.complete && i.naturalWidth > 0)(document.getElementById(%q))`, id), wait)
}

var shotName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// shot takes a full-page screenshot of the current state, and fails t when
// the page is wider than the window (content that overflows sideways).
func (b *browser) shot(state string) {
	b.t.Helper()
	b.shotN++
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", state, err)
		return
	}
	name := shotName.ReplaceAllString(b.t.Name()+"-"+fmt.Sprintf("%02d", b.shotN)+"-"+state, "_") + ".png"
	if err := os.WriteFile(filepath.Join(b.shots, name), png, 0o644); err != nil {
		b.t.Error(err)
	}
	var overflow struct{ Page, Window int }
	b.eval(`({page: document.documentElement.scrollWidth, window: window.innerWidth})`, &overflow)
	if overflow.Page > overflow.Window {
		b.t.Errorf("%s: the page is %d px wide in a window of %d (see %s)", state, overflow.Page, overflow.Window, name)
	}
}

// viewport sets the size of the page's window (CSS pixels).
func (b *browser) viewport(width, height int64) {
	b.t.Helper()
	b.do("resizing", chromedp.EmulateViewport(width, height))
}
