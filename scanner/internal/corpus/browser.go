package corpus

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// Page describes a web page showing QR codes, rendered by Chromium and
// captured as a screenshot.
type Page struct {
	Codes []string
	// Size is each code's width on the page, in CSS pixels.
	Size int
	// Style is how the page draws the codes: "png" (an image of several
	// pixels a module, scaled by the browser), "png-1x" (one pixel a module,
	// scaled up smoothly), "pixelated" (the same with image-rendering:
	// pixelated) or "svg" (a rectangle per module).
	Style string
	Dark  bool
	// Scale is the device pixel ratio (1, 1.25, 1.5, 2…) and Zoom the page
	// zoom (0.5 to 2): together, the code's size on the screenshot.
	Scale, Zoom float64
	W, H        int // the viewport, in CSS pixels
	Level       decoder.ErrorCorrectionLevel
}

// html writes the page.
func (p Page) html() (string, error) {
	var b strings.Builder
	bg, fg := "#ffffff", "#202124"
	if p.Dark {
		bg, fg = "#1f1f1f", "#e8eaed"
	}
	fmt.Fprintf(&b, `<!doctype html><html style="zoom:%g"><head><meta charset="utf-8"><style>
body{margin:0;padding:24px 40px;background:%s;color:%s;font:16px/1.5 sans-serif}
nav{display:flex;gap:24px;padding:8px 0 16px;border-bottom:1px solid #888;margin-bottom:16px}
.codes{display:flex;gap:32px;flex-wrap:wrap;align-items:flex-start}
figure{margin:0;padding:12px;background:#fff;border-radius:8px}
figcaption{color:#555;font-size:14px;text-align:center}
img,svg{display:block}
.pixelated img{image-rendering:pixelated}
</style></head><body><nav><b>Countersign</b><span>Accounts</span><span>Devices</span><span>Settings</span></nav>
<h1>Move your accounts to another device</h1>
<p>Open the authenticator app on the other device, choose <i>Scan a QR code</i>, and scan each code below in turn.
Anyone who sees these codes can make your sign-in codes: close this page when you are done.</p>
<div class="codes`, p.Zoom, bg, fg)
	if p.Style == "pixelated" {
		b.WriteString(" pixelated")
	}
	b.WriteString(`">`)
	for i, text := range p.Codes {
		m, _, err := Modules(text, p.Level, 4)
		if err != nil {
			return "", err
		}
		b.WriteString("<figure>")
		switch p.Style {
		case "svg":
			n := m.Bounds().Dx()
			fmt.Fprintf(&b, `<svg width="%d" height="%d" viewBox="0 0 %d %d"><rect width="%d" height="%d" fill="#fff"/>`, p.Size, p.Size, n, n, n, n)
			for y := range n {
				for x := range n {
					if m.Pix[y*m.Stride+x] == 0 {
						fmt.Fprintf(&b, `<rect x="%d" y="%d" width="1" height="1"/>`, x, y)
					}
				}
			}
			b.WriteString("</svg>")
		default:
			img := m
			if p.Style == "png" {
				k := 6
				img = grayOf(Scale(m, m.Bounds().Dx()*k, m.Bounds().Dy()*k, nil))
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				return "", err
			}
			fmt.Fprintf(&b, `<img width="%d" height="%d" alt="QR code" src="data:image/png;base64,%s">`, p.Size, p.Size, base64.StdEncoding.EncodeToString(buf.Bytes()))
		}
		fmt.Fprintf(&b, "<figcaption>Code %d of %d</figcaption></figure>", i+1, len(p.Codes))
	}
	b.WriteString(`</div><p>` + html.EscapeString("Trouble scanning? Make the page larger, or move closer.") + `</p></body></html>`)
	return b.String(), nil
}

// Chromium finds the browser.
func Chromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium is not installed (apt-get install chromium; make test installs it)")
}

// Screenshots renders pages in one headless Chromium and writes each one's
// screenshot, as PNG, to paths[i].
func Screenshots(pages []Page, paths []string) error {
	exe, err := Chromium()
	if err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "corpus-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
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
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		return fmt.Errorf("starting %s: %w", exe, err)
	}
	for i, p := range pages {
		doc, err := p.html()
		if err != nil {
			return err
		}
		file := filepath.Join(profile, fmt.Sprintf("page%d.html", i))
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			return err
		}
		step, cancelStep := context.WithTimeout(ctx, 60*time.Second)
		err = chromedp.Do(step,
			chromedp.EmulateViewport(int64(p.W), int64(p.H), chromedp.EmulateScale(p.Scale)),
			chromedp.Navigate("file://"+file),
			chromedp.WaitReady("body"),
		)
		var shot []byte
		if err == nil {
			shot, err = chromedp.Run(step, chromedp.CaptureScreenshot())
		}
		cancelStep()
		if err != nil {
			return fmt.Errorf("page %d: %w", i, err)
		}
		if err := os.WriteFile(paths[i], shot, 0o600); err != nil {
			return err
		}
	}
	return nil
}
