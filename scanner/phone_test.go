package scanner

import (
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/countersign/countersign/scanner/internal/corpus"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	xdraw "golang.org/x/image/draw"
)

// The committed phone screenshot: an export screen as a phone shows it,
// dark, two codes of ten accounts each side by side (version 23, modules of
// 2.5 pixels once the 1080×2400 screenshot is shrunk to 720×1600), lossy
// WebP made by cwebp; the scanner before issue 13 read neither code, nor
// does zbarimg 0.23. Regenerate it with
//
//	COUNTERSIGN_UPDATE_TESTDATA=1 go test -run TestPhoneScreenshotWebP ./scanner/
const (
	phoneWebP  = "testdata/phone-export.webp"
	phoneTexts = "testdata/phone-export.txt"
)

// phoneTestdata draws the committed screenshot's screen.
func phoneTestdata(t *testing.T) corpus.Phone {
	uris, err := corpus.ExportURIs(rand.New(rand.NewPCG(2038, 13)), 20, 10)
	if err != nil {
		t.Fatal(err)
	}
	return corpus.Phone{W: 1080, H: 2400, Codes: uris, Quiet: 4, SideBySide: true, Kernel: xdraw.BiLinear, Level: decoder.ErrorCorrectionLevel_L}
}

// TestPhoneScreenshotWebP reads both export codes of a phone screenshot
// saved as lossy WebP (issue 13).
func TestPhoneScreenshotWebP(t *testing.T) {
	if os.Getenv("COUNTERSIGN_UPDATE_TESTDATA") != "" {
		p := phoneTestdata(t)
		img, _, _, err := p.Draw()
		if err != nil {
			t.Fatal(err)
		}
		small := corpus.Scale(img, 720, 1600, xdraw.CatmullRom)
		if err := corpus.WriteWebP(small, 60, phoneWebP, ""); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(phoneTexts, []byte(strings.Join(p.Codes, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(phoneTexts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeFile(phoneWebP)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Fields(string(want)); !reflect.DeepEqual(got, w) {
		t.Fatalf("got %d codes %.60q…, want both export codes, top first", len(got), got)
	}
}

// TestPhoneScreenshots draws export screens at the three common phone
// resolutions, shrunk or not, saves them as lossy WebP (cwebp) and JPEG,
// and reads both codes of each.
func TestPhoneScreenshots(t *testing.T) {
	if _, err := exec.LookPath("cwebp"); err != nil {
		t.Fatal("cwebp is missing: apt-get install -y webp (make test installs it)")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	dir := t.TempDir()
	for i, res := range corpus.Resolutions {
		p, err := corpus.RandomPhone(rng)
		if err != nil {
			t.Fatal(err)
		}
		p.W, p.H, p.Kernel, p.SideBySide, p.Width = res[0], res[1], xdraw.BiLinear, i == 2, 0
		img, module, version, err := p.Draw()
		if err != nil {
			t.Fatal(err)
		}
		shot := img
		if i == 1 { // the 1440×3200 screenshot shrunk to 60 %
			shot, _ = corpus.Shrink(img, 0.6, rng)
			module *= 0.6
		}
		webp := filepath.Join(dir, "shot.webp")
		jpg := filepath.Join(dir, "shot.jpg")
		if err := corpus.WriteWebP(shot, 55, webp, ""); err != nil {
			t.Fatal(err)
		}
		if err := corpus.WriteJPEG(shot, 70, jpg); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{webp, jpg} {
			got, err := DecodeFile(path)
			if err != nil || !reflect.DeepEqual(got, p.Codes) {
				t.Errorf("%d×%d, version %d, %.1f px a module, %s: got %d codes, %v", p.W, p.H, version, module, filepath.Ext(path), len(got), err)
			}
		}
	}
}

// TestDecodeHardCases reads codes that only the later passes read: grey on
// a grey card on a white page, a blurred code, and a photo of a phone
// showing two export codes in perspective, with moiré, uneven light and
// noise, saved as JPEG.
func TestDecodeHardCases(t *testing.T) {
	page := image.NewRGBA(image.Rect(0, 0, 1280, 1080))
	corpus.Fill(page, page.Bounds(), color.White)
	grey := qrImageLevel(t, sampleURI, 300, decoder.ErrorCorrectionLevel_Q)
	for i, v := range grey.Pix {
		grey.Pix[i] = 110 + v/255*50
	}
	place(page, grey, image.Pt(840, 330))

	blurred := image.NewRGBA(image.Rect(0, 0, 960, 780))
	corpus.Fill(blurred, blurred.Bounds(), color.White)
	place(blurred, corpus.Blur(qrImageLevel(t, sampleURI, 330, decoder.ErrorCorrectionLevel_M), 2), image.Pt(300, 200))

	rng := rand.New(rand.NewPCG(3, 3))
	uris, err := corpus.ExportURIs(rng, 20, 10)
	if err != nil {
		t.Fatal(err)
	}
	phone := corpus.Phone{W: 1080, H: 2400, Codes: uris, Quiet: 2, Kernel: xdraw.BiLinear, Level: decoder.ErrorCorrectionLevel_L}
	screen, _, _, err := phone.Draw()
	if err != nil {
		t.Fatal(err)
	}
	shot := corpus.Photo{W: 1536, H: 2048, Fill: 0.9, Tilt: 0.05, Turn: 4, Black: 30, White: 225, Moire: 0.2,
		Light: 0.5, Glare: 0.3, Blur: 1, Noise: 3, Bezel: 0.04}.Take(screen, rng)
	path := filepath.Join(t.TempDir(), "photo.jpg")
	if err := corpus.WriteJPEG(shot, 85, path); err != nil {
		t.Fatal(err)
	}
	photo, err := DecodeFile(path)
	if err != nil || !reflect.DeepEqual(photo, uris) {
		t.Errorf("photo of a phone: got %d codes, %v", len(photo), err)
	}
	for name, img := range map[string]image.Image{"grey on a grey card": page, "blurred": blurred} {
		got, err := Decode(img)
		if err != nil || !reflect.DeepEqual(got, []string{sampleURI}) {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
}
