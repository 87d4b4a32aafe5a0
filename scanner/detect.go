package scanner

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	multidetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// hints ask gozxing's finder to look at every third row, not fewer: dense
// codes in large screenshots have finder patterns a few pixels tall.
var hints = map[gozxing.DecodeHintType]any{
	gozxing.DecodeHintType_TRY_HARDER:       true,
	gozxing.DecodeHintType_POSSIBLE_FORMATS: []gozxing.BarcodeFormat{gozxing.BarcodeFormat_QR_CODE},
}

// matrixResult is what reading one binary image gave: the codes, and how
// many of the finder patterns seen (each seen on two rows or more) are
// left unexplained by them, a hint that a code is there but unread.
type matrixResult struct {
	codes       []found
	unexplained int
}

// readMatrix finds the finder patterns of a binary image, groups them in
// threes as codes, and decodes each. Where gozxing's detector fails on a
// dense code (its estimate of the module size from a finder pattern is off
// by a few percent, so its count of modules is a version off), the
// dimensions one and two versions around its estimate are sampled too,
// with and without the alignment pattern.
func readMatrix(m *gozxing.BitMatrix) (res matrixResult) {
	if m == nil {
		return res
	}
	defer func() {
		// gozxing may panic on odd input; an unreadable image is not a crash.
		if recover() != nil {
			res = matrixResult{}
		}
	}()
	finder := multidetector.NewMultiFinderPatternFinder(m, nil)
	infos, _ := finder.FindMulti(hints)
	centers := finder.GetPossibleCenters()
	if len(infos) == 0 && len(centers) >= 3 {
		// The multi finder keeps only neat right-angled triples; the single
		// one takes the best three, which a tilted photo may need.
		if info, err := detector.NewFinderPatternFinder(m, nil).Find(hints); err == nil {
			infos = append(infos, info)
		}
	}
	det := detector.NewDetector(m)
	used := map[*detector.FinderPattern]bool{}
	read := func(info *detector.FinderPatternInfo, decode func(*detector.FinderPatternInfo) (*gozxing.Result, bool)) {
		tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
		if used[tl] || used[tr] || used[bl] {
			return // a finder pattern belongs to one code only
		}
		if r, ok := decode(info); ok {
			used[tl], used[tr], used[bl] = true, true, true
			res.codes = append(res.codes, found{text: r.GetText(), x: tl.GetX(), y: tl.GetY()})
		}
	}
	// First gozxing's own detector for every triple, then the other
	// dimensions for the triples left, a few at most: in a cluttered or
	// tiled image most triples are not codes.
	for _, info := range infos {
		read(info, func(info *detector.FinderPatternInfo) (*gozxing.Result, bool) {
			dr, err := det.ProcessFinderPatternInfo(info)
			if err != nil {
				return nil, false
			}
			return decodeBits(dr.GetBits(), dr.GetPoints())
		})
	}
	tries := 0
	for _, info := range infos {
		if tries < maxAlternativeTriples {
			tries++
			read(info, func(info *detector.FinderPatternInfo) (*gozxing.Result, bool) { return decodeOtherDimensions(m, info) })
		}
	}
	var left []*detector.FinderPattern
	for _, c := range centers {
		if c.GetCount() >= 2 && !used[c] && !insideAny(c, res.codes, infos, used) {
			left = append(left, c)
		}
	}
	// Two patterns left whose third was not seen (the diagonal check of
	// gozxing's finder is strict: one odd pixel at a corner fails it): the
	// third can only be in one of six places.
	pairs := 0
	for i, p := range left {
		for _, q := range left[i+1:] {
			if used[p] || used[q] || pairs >= maxInferredPairs {
				continue
			}
			if third := inferThird(m, p, q); third != nil {
				pairs++
				read(third, func(info *detector.FinderPatternInfo) (*gozxing.Result, bool) {
					if dr, err := det.ProcessFinderPatternInfo(info); err == nil {
						if r, ok := decodeBits(dr.GetBits(), dr.GetPoints()); ok {
							return r, true
						}
					}
					return decodeOtherDimensions(m, info)
				})
			}
		}
	}
	for _, c := range left {
		if !used[c] {
			res.unexplained++
		}
	}
	return res
}

// maxInferredPairs bounds the pairs of finder patterns whose third is
// looked for in one binary image.
const maxInferredPairs = 4

// inferThird returns, for two finder patterns of one code (alike in module
// size, a plausible distance apart), the triple with the third pattern
// where the image has the best 1:1:3:1:1 cross among its six possible
// places, or nil.
func inferThird(m *gozxing.BitMatrix, p, q *detector.FinderPattern) *detector.FinderPatternInfo {
	mp, mq := p.GetEstimatedModuleSize(), q.GetEstimatedModuleSize()
	if math.Abs(mp-mq) > 0.25*math.Min(mp, mq) {
		return nil
	}
	module := (mp + mq) / 2
	dx, dy := q.GetX()-p.GetX(), q.GetY()-p.GetY()
	if d := math.Hypot(dx, dy) / module; d < 12 || d > 240 {
		return nil
	}
	mx, my := (p.GetX()+q.GetX())/2, (p.GetY()+q.GetY())/2
	candidates := [][2]float64{
		{p.GetX() - dy, p.GetY() + dx}, {p.GetX() + dy, p.GetY() - dx}, // p the corner
		{q.GetX() - dy, q.GetY() + dx}, {q.GetX() + dy, q.GetY() - dx}, // q the corner
		{mx - dy/2, my + dx/2}, {mx + dy/2, my - dx/2}, // p and q opposite
	}
	finder := detector.NewFinderPatternFinder(m, nil)
	total := int(7 * module)
	for _, c := range candidates {
		x, y := int(c[0]), int(c[1])
		if x < 0 || y < 0 || x >= m.GetWidth() || y >= m.GetHeight() || !m.Get(x, y) {
			continue
		}
		cy := finder.CrossCheckVertical(y, x, int(2*module)+2, total)
		if math.IsNaN(cy) {
			continue
		}
		cx := finder.CrossCheckHorizontal(x, int(cy), int(2*module)+2, total)
		if math.IsNaN(cx) {
			continue
		}
		third := detector.NewFinderPattern1(cx, cy, module)
		bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(p, q, third)
		return detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern))
	}
	return nil
}

// insideAny reports whether the pattern p lies within a decoded code's
// triangle: a stray finder-like shape in its data.
func insideAny(p *detector.FinderPattern, codes []found, infos []*detector.FinderPatternInfo, used map[*detector.FinderPattern]bool) bool {
	for _, info := range infos {
		tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
		if !used[tl] || !used[tr] || !used[bl] {
			continue
		}
		// p = tl + a·(tr−tl) + b·(bl−tl), inside the code for a, b in [−0.2, 1.2].
		ux, uy := tr.GetX()-tl.GetX(), tr.GetY()-tl.GetY()
		vx, vy := bl.GetX()-tl.GetX(), bl.GetY()-tl.GetY()
		px, py := p.GetX()-tl.GetX(), p.GetY()-tl.GetY()
		det := ux*vy - uy*vx
		if det == 0 {
			continue
		}
		a := (px*vy - py*vx) / det
		b := (ux*py - uy*px) / det
		if a > -0.2 && a < 1.2 && b > -0.2 && b < 1.2 {
			return true
		}
	}
	return false
}

var qrDecoder = decoder.NewDecoder()

// maxAlternativeTriples bounds the triples of finder patterns whose other
// dimensions are tried in one binary image.
const maxAlternativeTriples = 8

// decodeOtherDimensions samples and decodes the code whose finder patterns
// are info at the dimensions around the one its patterns' module size
// gives: gozxing's detector estimates the module size from runs across a
// finder pattern, which anti-aliasing or compression makes a few percent
// off, so that a dense code's count of modules comes out a version or two
// wrong and its grid cannot be read.
func decodeOtherDimensions(m *gozxing.BitMatrix, info *detector.FinderPatternInfo) (*gozxing.Result, bool) {
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	module := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	if module < 1 {
		return nil, false
	}
	between := (gozxing.ResultPoint_Distance(tl, tr) + gozxing.ResultPoint_Distance(tl, bl)) / 2 / module
	raw := int(math.Round(between)) + 7
	base := raw - (raw-1)%4 // the valid dimension (4·version + 17) at or below
	if raw-base > 2 {
		base += 4
	}
	for _, delta := range []int{0, -4, 4, -8, 8} {
		dim := base + delta
		if dim < 21 || dim > 177 {
			continue
		}
		aps := []*detector.AlignmentPattern{nil}
		if dim > 21 {
			if ap := findAlignment(m, tl, tr, bl, dim, module); ap != nil {
				aps = []*detector.AlignmentPattern{ap, nil}
			}
		}
		for _, ap := range aps {
			transform := detector.Detector_createTransform(tl, tr, bl, ap, dim)
			bits, err := detector.Detector_sampleGrid(m, transform, dim)
			if err != nil {
				continue
			}
			if r, ok := decodeBits(bits, []gozxing.ResultPoint{bl, tl, tr}); ok {
				return r, true
			}
		}
	}
	return nil, false
}

// decodeBits decodes a sampled grid of modules.
func decodeBits(bits *gozxing.BitMatrix, points []gozxing.ResultPoint) (*gozxing.Result, bool) {
	dr, err := qrDecoder.Decode(bits, hints)
	if err != nil {
		return nil, false
	}
	return gozxing.NewResult(dr.GetText(), dr.GetRawBytes(), points, gozxing.BarcodeFormat_QR_CODE), true
}

// findAlignment looks for the bottom-right alignment pattern of a code of
// dim modules, as gozxing's detector does, or returns nil.
func findAlignment(m *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, dim int, module float64) *detector.AlignmentPattern {
	brX := tr.GetX() - tl.GetX() + bl.GetX()
	brY := tr.GetY() - tl.GetY() + bl.GetY()
	correction := 1 - 3/float64(dim-7)
	ex := tl.GetX() + correction*(brX-tl.GetX())
	ey := tl.GetY() + correction*(brY-tl.GetY())
	for _, f := range []float64{4, 8, 16} {
		allowance := int(f * module)
		left, right := max(0, int(ex)-allowance), min(m.GetWidth()-1, int(ex)+allowance)
		top, bottom := max(0, int(ey)-allowance), min(m.GetHeight()-1, int(ey)+allowance)
		if float64(right-left) < 3*module || float64(bottom-top) < 3*module {
			return nil
		}
		if ap, err := detector.NewAlignmentPatternFinder(m, left, top, right-left, bottom-top, module, nil).Find(); err == nil {
			return ap
		}
	}
	return nil
}
