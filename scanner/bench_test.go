package scanner

import (
	"bufio"
	"bytes"
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
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// BenchmarkDecodeScreen decodes a 200-pixel QR code in a 1920×1080 capture
// of a desktop: the "scan the screen" case.
func BenchmarkDecodeScreen(b *testing.B) {
	s := screen()
	place(s, qrImage(b, sampleURI, 200), image.Pt(1250, 560))
	b.ResetTimer()
	for b.Loop() {
		codes, err := Decode(s)
		if err != nil || len(codes) != 1 {
			b.Fatalf("%q, %v", codes, err)
		}
	}
}

// corpusImage is one image of the benchmark corpus and the codes it holds.
type corpusImage struct {
	path string
	want []string
	kind string
}

// makeCorpus writes n varied images, deterministically: code sizes from 90
// to 420 pixels, error correction L to H, canvases up to full HD with
// clutter, rotations, light-on-dark, low contrast, blur, JPEG noise and
// several codes in one image.
func makeCorpus(b *testing.B, dir string, n int) []corpusImage {
	rng := rand.New(rand.NewPCG(42, 7))
	levels := []decoder.ErrorCorrectionLevel{decoder.ErrorCorrectionLevel_L, decoder.ErrorCorrectionLevel_M, decoder.ErrorCorrectionLevel_Q, decoder.ErrorCorrectionLevel_H}
	kinds := []string{"plain", "small-in-screen", "rotated", "inverted", "low-contrast", "blurred", "jpeg", "several"}
	var out []corpusImage
	for i := range n {
		kind := kinds[i%len(kinds)]
		newText := func() string {
			secret := make([]byte, 10+rng.IntN(30))
			for j := range secret {
				secret[j] = byte(rng.Uint32())
			}
			return fmt.Sprintf("otpauth://totp/Issuer%d:user%d@example.com?secret=%s&issuer=Issuer%d", i, rng.IntN(1000), strings.TrimRight(fmt.Sprintf("%X", secret), "="), i)
		}
		code := func(text string, size int) *image.Gray {
			return qrImageLevel(b, text, size, levels[rng.IntN(len(levels))])
		}
		canvas := image.NewRGBA(image.Rect(0, 0, 640+rng.IntN(4)*320, 480+rng.IntN(3)*300))
		draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
		var img image.Image = canvas
		var want []string
		at := func(size int) image.Point {
			return image.Pt(rng.IntN(max(1, canvas.Bounds().Dx()-size)), rng.IntN(max(1, canvas.Bounds().Dy()-size)))
		}
		text := newText()
		want = append(want, text)
		switch kind {
		case "plain", "jpeg":
			place(canvas, code(text, 200+rng.IntN(220)), at(420))
		case "small-in-screen":
			s := screen()
			c := code(text, 90+rng.IntN(60))
			place(s, c, image.Pt(rng.IntN(1920-c.Bounds().Dx()), 40+rng.IntN(1040-c.Bounds().Dy())))
			img = s
		case "rotated":
			c := rotate(code(text, 220+rng.IntN(120)), float64(5+rng.IntN(80)))
			place(canvas, c, at(c.Bounds().Dx()))
		case "inverted":
			c := invert(code(text, 200+rng.IntN(150)))
			draw.Draw(canvas, canvas.Bounds(), image.Black, image.Point{}, draw.Src)
			place(canvas, c, at(c.Bounds().Dx()))
		case "low-contrast":
			c := code(text, 220+rng.IntN(150))
			for j, v := range c.Pix {
				c.Pix[j] = 110 + v/255*50 // dark grey on light grey
			}
			place(canvas, c, at(c.Bounds().Dx()))
		case "blurred":
			c := blur(code(text, 240+rng.IntN(150)), 2)
			place(canvas, c, at(c.Bounds().Dx()))
		case "several":
			canvas = image.NewRGBA(image.Rect(0, 0, 1600, 900))
			draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
			img = canvas
			place(canvas, code(text, 260), image.Pt(60, 60))
			second := newText()
			place(canvas, code(second, 260), image.Pt(900, 500))
			want = append(want, second)
		}
		path := filepath.Join(dir, fmt.Sprintf("%03d-%s.png", i, kind))
		var buf bytes.Buffer
		var err error
		if kind == "jpeg" {
			path = strings.TrimSuffix(path, ".png") + ".jpg"
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 25 + rng.IntN(40)})
		} else {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		slices.Sort(want)
		out = append(out, corpusImage{path: path, want: want, kind: kind})
	}
	return out
}

// blur is a box blur of radius r.
func blur(img *image.Gray, r int) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			sum, n := 0, 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					if p := image.Pt(x+dx, y+dy); p.In(b) {
						sum += int(img.GrayAt(p.X, p.Y).Y)
						n++
					}
				}
			}
			out.SetGray(x, y, color.Gray{uint8(sum / n)})
		}
	}
	return out
}

// decoder reads the codes of one corpus image.
type corpusDecoder struct {
	name string
	// batch decodes every file in one go (one process for the peers) and
	// returns the codes found per file.
	batch func(paths []string) (map[string][]string, error)
}

func ourDecoder() corpusDecoder {
	return corpusDecoder{"countersign", func(paths []string) (map[string][]string, error) {
		found := map[string][]string{}
		for _, p := range paths {
			codes, _ := DecodeFile(p)
			found[p] = codes
		}
		return found, nil
	}}
}

// zbarDecoder runs zbarimg once per file: its output does not name files.
func zbarDecoder() corpusDecoder {
	return corpusDecoder{"zbarimg", func(paths []string) (map[string][]string, error) {
		found := map[string][]string{}
		for _, p := range paths {
			out, _ := exec.Command("zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", p).Output()
			found[p] = strings.Fields(string(out))
		}
		return found, nil
	}}
}

// zxingDecoder runs ZXingReader once for all files (-1: one line per code, led by the file name).
func zxingDecoder() corpusDecoder {
	return corpusDecoder{"ZXingReader", func(paths []string) (map[string][]string, error) {
		out, _ := exec.Command("ZXingReader", append([]string{"-1", "-format", "QRCode"}, paths...)...).Output()
		found := map[string][]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			path, rest, ok := strings.Cut(sc.Text(), " QRCode ")
			if ok {
				found[path] = append(found[path], strings.Trim(rest, `"`))
			}
		}
		return found, nil
	}}
}

// BenchmarkCorpus decodes the same generated corpus with Countersign's
// scanner, zbarimg and ZXingReader in one run, and reports for each the
// share of images fully decoded and the time per image (the peers' times
// include starting their process: zbarimg once per image, ZXingReader once).
func BenchmarkCorpus(b *testing.B) {
	for _, tool := range []string{"zbarimg", "ZXingReader"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s is missing: apt-get install -y zbar-tools zxing-cpp-tools (make test installs them)", tool)
		}
	}
	corpus := makeCorpus(b, b.TempDir(), 96)
	paths := make([]string, len(corpus))
	for i, c := range corpus {
		paths[i] = c.path
	}
	for _, d := range []corpusDecoder{ourDecoder(), zbarDecoder(), zxingDecoder()} {
		b.Run(d.name, func(b *testing.B) {
			var found map[string][]string
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				var err error
				if found, err = d.batch(paths); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			ok := 0
			missed := map[string]int{}
			for _, c := range corpus {
				got := slices.Clone(found[c.path])
				slices.Sort(got)
				got = slices.Compact(got)
				if slices.Equal(got, c.want) {
					ok++
				} else {
					missed[c.kind]++
				}
			}
			b.ReportMetric(100*float64(ok)/float64(len(corpus)), "%decoded")
			b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N*len(corpus)), "ms/image")
			b.ReportMetric(0, "ns/op")
			if len(missed) > 0 {
				b.Logf("%s missed: %v", d.name, missed)
			}
		})
	}
}
