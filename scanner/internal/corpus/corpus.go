package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Image is one image of a corpus and the codes it holds.
type Image struct {
	Path string
	// Peer is the same pixels as PNG when Path is WebP, which ZXingReader
	// cannot open; empty otherwise.
	Peer string
	Want []string // sorted
	Kind string
	Note string // how it was made: size, module size, version, quality
}

// Kinds are the corpus's categories, in the order Generate makes them.
var Kinds = []string{
	// Made from the first seed, interleaved: the benchmark's original corpus.
	"plain", "small-in-screen", "rotated", "inverted", "low-contrast", "blurred", "jpeg", "several",
	// Screenshots and photos of export screens, and browser pages.
	"phone-webp", "phone-jpeg", "photo", "browser",
}

// Options says what Generate makes.
type Options struct {
	Dir string // where the images are written
	// PerKind is the number of images of each kind (12 if 0).
	PerKind int
	// Cache keeps the browser screenshots, slow to make, between runs: a
	// directory, made if missing; "" renders them into Dir every time.
	Cache string
	// Kinds limits the corpus to these kinds (all if empty).
	Kinds []string
}

// browserVersion names the cached browser screenshots: change it when the
// pages change.
const browserVersion = "browser-v1"

// Generate writes the corpus and returns its images, the same on every run.
func Generate(o Options) ([]Image, error) {
	if o.PerKind <= 0 {
		o.PerKind = 12
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	want := func(kind string) bool { return len(o.Kinds) == 0 || slices.Contains(o.Kinds, kind) }
	out, err := original(o.Dir, 8*o.PerKind, want)
	if err != nil {
		return nil, err
	}
	for k, kind := range Kinds[8:] {
		if !want(kind) {
			continue
		}
		rng := rand.New(rand.NewPCG(uint64(100+k), 13))
		var imgs []Image
		switch kind {
		case "phone-webp", "phone-jpeg":
			imgs, err = phones(o.Dir, kind, o.PerKind, rng)
		case "photo":
			imgs, err = photos(o.Dir, o.PerKind, rng)
		case "browser":
			imgs, err = browserPages(o, rng)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		out = append(out, imgs...)
	}
	return out, nil
}

// original makes the first eight kinds, interleaved, as the benchmark
// always has: code sizes from 90 to 420 pixels, error correction L to H,
// canvases up to full HD, rotations, light-on-dark, low contrast, blur,
// JPEG noise and two codes in one image.
func original(dir string, n int, want func(string) bool) ([]Image, error) {
	rng := rand.New(rand.NewPCG(42, 7))
	kinds := Kinds[:8]
	var out []Image
	for i := range n {
		kind := kinds[i%len(kinds)]
		newText := func() string {
			secret := make([]byte, 10+rng.IntN(30))
			for j := range secret {
				secret[j] = byte(rng.Uint32())
			}
			return fmt.Sprintf("otpauth://totp/Issuer%d:user%d@example.com?secret=%s&issuer=Issuer%d", i, rng.IntN(1000), strings.TrimRight(fmt.Sprintf("%X", secret), "="), i)
		}
		var err error
		code := func(text string, size int) *image.Gray {
			c, e := QR(text, size, Levels[rng.IntN(len(Levels))])
			if e != nil {
				err = e
				return image.NewGray(image.Rect(0, 0, 1, 1))
			}
			return c
		}
		canvas := image.NewRGBA(image.Rect(0, 0, 640+rng.IntN(4)*320, 480+rng.IntN(3)*300))
		Fill(canvas, canvas.Bounds(), color.White)
		var img image.Image = canvas
		var texts []string
		at := func(size int) image.Point {
			return image.Pt(rng.IntN(max(1, canvas.Bounds().Dx()-size)), rng.IntN(max(1, canvas.Bounds().Dy()-size)))
		}
		text := newText()
		texts = append(texts, text)
		switch kind {
		case "plain", "jpeg":
			Place(canvas, code(text, 200+rng.IntN(220)), at(420))
		case "small-in-screen":
			s := Desktop()
			c := code(text, 90+rng.IntN(60))
			Place(s, c, image.Pt(rng.IntN(1920-c.Bounds().Dx()), 40+rng.IntN(1040-c.Bounds().Dy())))
			img = s
		case "rotated":
			c := Rotate(code(text, 220+rng.IntN(120)), float64(5+rng.IntN(80)))
			Place(canvas, c, at(c.Bounds().Dx()))
		case "inverted":
			c := Invert(code(text, 200+rng.IntN(150)))
			Fill(canvas, canvas.Bounds(), color.Black)
			Place(canvas, c, at(c.Bounds().Dx()))
		case "low-contrast":
			c := code(text, 220+rng.IntN(150))
			for j, v := range c.Pix {
				c.Pix[j] = 110 + v/255*50 // dark grey on light grey
			}
			Place(canvas, c, at(c.Bounds().Dx()))
		case "blurred":
			c := Blur(code(text, 240+rng.IntN(150)), 2)
			Place(canvas, c, at(c.Bounds().Dx()))
		case "several":
			canvas = image.NewRGBA(image.Rect(0, 0, 1600, 900))
			Fill(canvas, canvas.Bounds(), color.White)
			img = canvas
			Place(canvas, code(text, 260), image.Pt(60, 60))
			second := newText()
			Place(canvas, code(second, 260), image.Pt(900, 500))
			texts = append(texts, second)
		}
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, fmt.Sprintf("%03d-%s.png", i, kind))
		var buf bytes.Buffer
		if kind == "jpeg" {
			path = strings.TrimSuffix(path, ".png") + ".jpg"
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 25 + rng.IntN(40)})
		} else {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			return nil, err
		}
		if !want(kind) {
			continue // drawn all the same, so the others stay as they are
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			return nil, err
		}
		slices.Sort(texts)
		out = append(out, Image{Path: path, Want: texts, Kind: kind})
	}
	return out, nil
}

// Resolutions are phone screens' sizes in pixels.
var Resolutions = [][2]int{{1080, 2400}, {1440, 3200}, {720, 1600}}

var kernels = []struct {
	name string
	k    xdraw.Interpolator
}{{"nearest", nil}, {"bilinear", xdraw.BiLinear}, {"approx-bilinear", xdraw.ApproxBiLinear}, {"catmull-rom", xdraw.CatmullRom}}

// RandomPhone draws the settings of an export screen with two codes of ten
// accounts each (versions 16 to 27) from rng.
func RandomPhone(rng *rand.Rand) (Phone, error) {
	exports := ExportURIs
	if rng.IntN(2) == 0 {
		exports = ShortExportURIs
	}
	uris, err := exports(rng, 20, 10)
	if err != nil {
		return Phone{}, err
	}
	res := Resolutions[rng.IntN(len(Resolutions))]
	p := Phone{W: res[0], H: res[1], Codes: uris, Light: rng.IntN(4) == 0, Quiet: 1 + rng.IntN(4),
		SideBySide: rng.IntN(3) == 0, Kernel: kernels[rng.IntN(len(kernels))].k, Level: decoder.ErrorCorrectionLevel_L}
	if rng.IntN(3) == 0 {
		p.Level = decoder.ErrorCorrectionLevel_M
	}
	if !p.SideBySide {
		p.Width = 0.55 + 0.3*rng.Float64()
	}
	return p, nil
}

// Shrink scales img by f with a good filter, as a phone or a messaging app
// shrinks a screenshot.
func Shrink(img image.Image, f float64, rng *rand.Rand) (*image.RGBA, string) {
	k := kernels[1+rng.IntN(len(kernels)-1)]
	b := img.Bounds()
	return Scale(img, int(float64(b.Dx())*f+0.5), int(float64(b.Dy())*f+0.5), k.k), k.name
}

// phones makes screenshots of an export screen with two dense codes, some
// shrunk, saved as lossy WebP (by cwebp) or JPEG.
func phones(dir, kind string, n int, rng *rand.Rand) ([]Image, error) {
	var out []Image
	for i := range n {
		p, err := RandomPhone(rng)
		if err != nil {
			return nil, err
		}
		img, module, version, err := p.Draw()
		if err != nil {
			return nil, err
		}
		note := fmt.Sprintf("%d×%d v%d", p.W, p.H, version)
		var shot image.Image = img
		if f := []float64{0.5, 0.6, 0.75}[rng.IntN(3)]; rng.IntN(5) < 2 && module*f >= 2 {
			var k string
			shot, k = Shrink(img, f, rng)
			module *= f
			note += fmt.Sprintf(" shrunk %g (%s)", f, k)
		}
		note += fmt.Sprintf(" %.1f px/module", module)
		base := filepath.Join(dir, fmt.Sprintf("%s-%02d", kind, i))
		im := Image{Want: slices.Sorted(slices.Values(p.Codes)), Kind: kind}
		if kind == "phone-webp" {
			q := 40 + rng.IntN(51)
			im.Path, im.Peer = base+".webp", base+".png"
			if err := WriteWebP(shot, q, im.Path, im.Peer); err != nil {
				return nil, err
			}
			note += fmt.Sprintf(" webp q%d", q)
		} else {
			q := 50 + rng.IntN(41)
			im.Path = base + ".jpg"
			if err := WriteJPEG(shot, q, im.Path); err != nil {
				return nil, err
			}
			note += fmt.Sprintf(" jpeg q%d", q)
		}
		im.Note = note
		out = append(out, im)
	}
	return out, nil
}

// photos makes simulated photos of screens: half of a phone showing two
// export codes, a quarter of a monitor showing one otpauth:// code, and a
// quarter of a camera's full-size photo (3000×4000) of a phone showing one
// export code from close by.
func photos(dir string, n int, rng *rand.Rand) ([]Image, error) {
	var out []Image
	for i := range n {
		var screen *image.RGBA
		var texts []string
		ph := Photo{Tilt: 0.01 + 0.05*rng.Float64(), Turn: rng.Float64()*16 - 8,
			Black: 15 + 35*rng.Float64(), White: 190 + 55*rng.Float64(), Moire: 0.05 + 0.25*rng.Float64(),
			Light: 0.2 + 0.6*rng.Float64(), Glare: 0.5 * rng.Float64(), Blur: rng.IntN(3), Noise: 1 + 4*rng.Float64()}
		var note string
		switch i % 4 {
		case 0, 1, 3:
			p, err := RandomPhone(rng)
			if err != nil {
				return nil, err
			}
			p.W, p.H = 1080, 2400
			ph.W, ph.H, ph.Fill, ph.Bezel = 1536, 2048, 0.8+0.15*rng.Float64(), 0.04
			if i%4 == 3 {
				p.Codes, p.SideBySide, p.Width = p.Codes[:1], false, 0.9
				ph.W, ph.H, ph.Fill, ph.Noise = 3000, 4000, 0.85+0.1*rng.Float64(), ph.Noise+2
			}
			var module float64
			var version int
			screen, module, version, err = p.Draw()
			if err != nil {
				return nil, err
			}
			texts = p.Codes
			note = fmt.Sprintf("%d×%d, phone, v%d %.1f px/module", ph.W, ph.H, version, module*ph.Fill*float64(ph.H)/float64(p.H))
		case 2:
			uri := fmt.Sprintf("otpauth://totp/Example%d:user%d@example.com?secret=%s&issuer=Example%d", i, rng.IntN(1000), randomBase32(rng, 32), i)
			screen = Desktop()
			size := 300 + rng.IntN(200)
			c, err := QR(uri, size, Levels[rng.IntN(len(Levels))])
			if err != nil {
				return nil, err
			}
			Place(screen, c, image.Pt(200+rng.IntN(1920-400-size), 100+rng.IntN(1080-200-size)))
			texts = []string{uri}
			ph.W, ph.H, ph.Fill, ph.Bezel = 2048, 1536, 0.7+0.2*rng.Float64(), 0.02
			note = fmt.Sprintf("2048×1536, monitor, a %d-px code", size)
		}
		img := ph.Take(screen, rng)
		q := 70 + rng.IntN(23)
		path := filepath.Join(dir, fmt.Sprintf("photo-%02d.jpg", i))
		if err := WriteJPEG(img, q, path); err != nil {
			return nil, err
		}
		out = append(out, Image{Path: path, Want: slices.Sorted(slices.Values(texts)), Kind: "photo",
			Note: fmt.Sprintf("%s, moiré %.2f, blur %d, jpeg q%d", note, ph.Moire, ph.Blur, q)})
	}
	return out, nil
}

func randomBase32(rng *rand.Rand, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(32)]
	}
	return string(b)
}

// browserPages renders web pages showing codes in Chromium at several zoom
// levels and device pixel ratios, or reads them from the cache.
func browserPages(o Options, rng *rand.Rand) ([]Image, error) {
	dir := o.Dir
	if o.Cache != "" {
		dir = filepath.Join(o.Cache, fmt.Sprintf("%s-%d", browserVersion, o.PerKind))
		if data, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
			var imgs []Image
			if err := json.Unmarshal(data, &imgs); err == nil && len(imgs) == o.PerKind {
				for i := range imgs {
					imgs[i].Path = filepath.Join(dir, imgs[i].Path)
				}
				return imgs, nil
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	styles := []string{"png", "png-1x", "pixelated", "svg"}
	scales := []float64{1, 1, 1.25, 1.5, 2}
	zooms := []float64{0.5, 0.67, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5}
	var pages []Page
	var imgs []Image
	var paths []string
	for i := range o.PerKind {
		p := Page{Style: styles[i%len(styles)], Dark: rng.IntN(2) == 0, Scale: scales[rng.IntN(len(scales))],
			Zoom: zooms[rng.IntN(len(zooms))], W: 1280, H: 800, Level: decoder.ErrorCorrectionLevel_L}
		if i%3 == 0 {
			p.Codes = []string{fmt.Sprintf("otpauth://totp/Site%d:user%d@example.com?secret=%s&issuer=Site%d", i, rng.IntN(1000), randomBase32(rng, 32), i)}
			p.Size = 160 + rng.IntN(120)
			p.Level = Levels[rng.IntN(len(Levels))]
		} else {
			uris, err := ExportURIs(rng, 20, 10)
			if err != nil {
				return nil, err
			}
			p.Codes = uris
			p.Size = 260 + rng.IntN(160)
		}
		// Keep both codes in the viewport.
		for float64(2*p.Size+200)*p.Zoom > float64(p.W)-80 || float64(p.Size+330)*p.Zoom > float64(p.H) {
			p.Size -= 10
		}
		name := fmt.Sprintf("browser-%02d.png", i)
		pages = append(pages, p)
		paths = append(paths, filepath.Join(dir, name))
		m, v, err := Modules(p.Codes[0], p.Level, 4)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, Image{Path: name, Want: slices.Sorted(slices.Values(p.Codes)), Kind: "browser",
			Note: fmt.Sprintf("%s v%d, dpr %g, zoom %g: %.1f px/module", p.Style, v, p.Scale, p.Zoom,
				float64(p.Size)*p.Scale*p.Zoom/float64(m.Bounds().Dx()))})
	}
	if err := Screenshots(pages, paths); err != nil {
		return nil, err
	}
	if o.Cache != "" {
		data, err := json.MarshalIndent(imgs, "", "\t")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644); err != nil {
			return nil, err
		}
	}
	for i := range imgs {
		imgs[i].Path = filepath.Join(dir, imgs[i].Path)
	}
	return imgs, nil
}

// WriteJPEG saves img as JPEG (Go's encoder: 4:2:0 chroma subsampling).
func WriteJPEG(img image.Image, quality int, path string) error {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}

// WriteWebP saves img as lossy WebP with cwebp (Debian's webp package) at
// quality, and, when peer is not empty, the decoded WebP as PNG there.
func WriteWebP(img image.Image, quality int, path, peer string) error {
	tmp := path + ".in.png"
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if out, err := exec.Command("cwebp", "-quiet", "-q", fmt.Sprint(quality), tmp, "-o", path).CombinedOutput(); err != nil {
		return fmt.Errorf("cwebp: %v: %s (apt-get install webp; make test installs it)", err, out)
	}
	if peer == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	buf.Reset()
	rgba := image.NewRGBA(dec.Bounds())
	draw.Draw(rgba, rgba.Bounds(), dec, dec.Bounds().Min, draw.Src)
	if err := png.Encode(&buf, rgba); err != nil {
		return err
	}
	return os.WriteFile(peer, buf.Bytes(), 0o600)
}
