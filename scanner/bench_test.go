package scanner

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/scanner/internal/corpus"
)

// The benchmarks compare the scanner with zbarimg (zbar-tools) and
// ZXingReader (zxing-cpp-tools) in one run; keep them short on a shared
// machine:
//
//	go test -run '^$' -bench . -benchtime 1x ./scanner/
//
// COUNTERSIGN_CORPUS_CACHE names where the corpus's browser screenshots are
// kept between runs (default: the user's cache directory);
// COUNTERSIGN_CORPUS_KINDS=photo,browser limits the corpus to those kinds.

// BenchmarkDecodeScreen decodes a 200-pixel QR code in a 1920×1080 capture
// of a desktop: the "scan the screen" case, in the process.
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

// BenchmarkScanProcess times `countersign scan FILE` (built from
// ./cmd/countersign), `ZXingReader FILE` and `zbarimg FILE` as whole
// processes on the same 1920×1080 PNG capture, interleaved, and reports
// each one's median of 7 runs after a warm-up and the ratios.
func BenchmarkScanProcess(b *testing.B) {
	requirePeers(b)
	dir := b.TempDir()
	s := screen()
	place(s, qrImage(b, sampleURI, 200), image.Pt(1250, 560))
	capture := filepath.Join(dir, "capture.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, s); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(capture, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	bin := buildCountersign(b, dir)
	cmds := [][]string{
		{bin, "scan", capture},
		{"ZXingReader", "-format", "QRCode", capture},
		{"zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", capture},
	}
	for b.Loop() {
		med := medianRuns(b, cmds, 7)
		b.ReportMetric(ms(med[0]), "ms-countersign")
		b.ReportMetric(ms(med[1]), "ms-ZXingReader")
		b.ReportMetric(ms(med[2]), "ms-zbarimg")
		b.ReportMetric(float64(med[0])/float64(med[1]), "×ZXingReader")
		b.ReportMetric(float64(med[0])/float64(med[2]), "×zbarimg")
	}
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// buildCountersign builds the command-line program into dir.
func buildCountersign(b *testing.B, dir string) string {
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		b.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(dir, "countersign")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/countersign")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building countersign: %v\n%s", err, out)
	}
	return bin
}

// medianRuns runs each command once to warm up, then n times, the
// commands taking turns so that a busy moment of the machine falls on all
// alike, and returns each one's median wall time.
func medianRuns(b *testing.B, cmds [][]string, n int) []time.Duration {
	times := make([][]time.Duration, len(cmds))
	for round := range n + 1 {
		for i, c := range cmds {
			start := time.Now()
			out, err := exec.Command(c[0], c[1:]...).Output()
			el := time.Since(start)
			if err != nil || !strings.Contains(string(out), "otpauth://") {
				b.Fatalf("%s: %v, output %q", strings.Join(c, " "), err, out)
			}
			if round > 0 {
				times[i] = append(times[i], el)
			}
		}
	}
	med := make([]time.Duration, len(cmds))
	for i, t := range times {
		slices.Sort(t)
		med[i] = t[len(t)/2]
	}
	return med
}

func requirePeers(b *testing.B) {
	for _, tool := range []string{"zbarimg", "ZXingReader"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s is missing: apt-get install -y zbar-tools zxing-cpp-tools (make test installs them)", tool)
		}
	}
}

// corpusDecoder reads the codes of a corpus's images.
type corpusDecoder struct {
	name string
	// batch decodes every image in one go (one process for the peers) and
	// returns the codes found per image path.
	batch func(imgs []corpus.Image) map[string][]string
}

func ourDecoder() corpusDecoder {
	return corpusDecoder{"countersign", func(imgs []corpus.Image) map[string][]string {
		found := map[string][]string{}
		for _, im := range imgs {
			codes, _ := DecodeFile(im.Path)
			found[im.Path] = codes
		}
		return found
	}}
}

// zbarDecoder runs zbarimg once per file: its output does not name files.
func zbarDecoder() corpusDecoder {
	return corpusDecoder{"zbarimg", func(imgs []corpus.Image) map[string][]string {
		found := map[string][]string{}
		for _, im := range imgs {
			out, _ := exec.Command("zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", im.Path).Output()
			found[im.Path] = strings.Fields(string(out))
		}
		return found
	}}
}

// zxingDecoder runs ZXingReader once for all files (-1: one line per code,
// led by the file name). It cannot open WebP: it reads the same pixels as
// PNG (Image.Peer).
func zxingDecoder() corpusDecoder {
	return corpusDecoder{"ZXingReader", func(imgs []corpus.Image) map[string][]string {
		args := []string{"-1", "-format", "QRCode"}
		path := map[string]string{}
		for _, im := range imgs {
			p := im.Path
			if im.Peer != "" {
				p = im.Peer
			}
			path[p] = im.Path
			args = append(args, p)
		}
		out, _ := exec.Command("ZXingReader", args...).Output()
		found := map[string][]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p, rest, ok := strings.Cut(sc.Text(), " QRCode ")
			if ok {
				found[path[p]] = append(found[path[p]], strings.Trim(rest, `"`))
			}
		}
		return found
	}}
}

// corpusDir is where BenchmarkCorpus keeps what is slow to make.
func corpusCache(b *testing.B) string {
	if d := os.Getenv("COUNTERSIGN_CORPUS_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "countersign", "scanner-corpus")
}

// BenchmarkCorpus decodes the same generated corpus (see package corpus)
// with Countersign's scanner, zbarimg and ZXingReader in one run, and
// reports for each the share of images fully decoded and the time per
// image (the peers' times include starting their process: zbarimg once per
// image, ZXingReader once), then per category what each missed and the
// images a peer read that Countersign did not.
func BenchmarkCorpus(b *testing.B) {
	requirePeers(b)
	start := time.Now()
	var kinds []string
	if k := os.Getenv("COUNTERSIGN_CORPUS_KINDS"); k != "" {
		kinds = strings.Split(k, ",")
	}
	imgs, err := corpus.Generate(corpus.Options{Dir: b.TempDir(), Cache: corpusCache(b), Kinds: kinds})
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("corpus: %d images, made in %v\n", len(imgs), time.Since(start).Round(time.Second))
	decoders := []corpusDecoder{ourDecoder(), zbarDecoder(), zxingDecoder()}
	read := make([]map[string]bool, len(decoders)) // per decoder, per image: fully read
	for i, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			var found map[string][]string
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				found = d.batch(imgs)
				elapsed += time.Since(start)
			}
			read[i] = map[string]bool{}
			ok := 0
			for _, im := range imgs {
				got := slices.Clone(found[im.Path])
				slices.Sort(got)
				got = slices.Compact(got)
				if slices.Equal(got, im.Want) {
					ok++
					read[i][im.Path] = true
				}
			}
			b.ReportMetric(100*float64(ok)/float64(len(imgs)), "%decoded")
			b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N*len(imgs)), "ms/image")
			b.ReportMetric(0, "ns/op")
		})
	}
	if read[len(read)-1] == nil {
		return // a sub-benchmark was filtered out
	}
	// Per category: images, and what each decoder missed.
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-16s %6s", "missed", "images")
	for _, d := range decoders {
		fmt.Fprintf(&sb, " %12s", d.name)
	}
	sb.WriteString("\n")
	for _, kind := range corpus.Kinds {
		if len(kinds) > 0 && !slices.Contains(kinds, kind) {
			continue
		}
		n := 0
		missed := make([]int, len(decoders))
		for _, im := range imgs {
			if im.Kind != kind {
				continue
			}
			n++
			for i := range decoders {
				if !read[i][im.Path] {
					missed[i]++
				}
			}
		}
		fmt.Fprintf(&sb, "%-16s %6d", kind, n)
		for _, m := range missed {
			fmt.Fprintf(&sb, " %12d", m)
		}
		sb.WriteString("\n")
	}
	var lost []string
	for _, im := range imgs {
		if read[0][im.Path] {
			continue
		}
		var by []string
		for i := 1; i < len(decoders); i++ {
			if read[i][im.Path] {
				by = append(by, decoders[i].name)
			}
		}
		line := filepath.Base(im.Path) + " (" + im.Note + ")"
		if len(by) > 0 {
			line += " read by " + strings.Join(by, " and ")
		}
		lost = append(lost, line)
	}
	sort.Strings(lost)
	// Printed, not logged: benchmark logs are cut at ten lines.
	fmt.Printf("Corpus, per category:\n%sCountersign missed:\n  %s\n", sb.String(), strings.Join(lost, "\n  "))
}
