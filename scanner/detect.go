package scanner

import (
	"math"
	"slices"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
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

// matrixResult is what reading one binary image gave: the codes, and
// where the finder patterns seen (each on two rows or more) that are part
// of no code read are: a hint that a code is there but unread.
type matrixResult struct {
	codes []found
	left  []point
}

type point struct{ x, y float64 }

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
			res.codes = append(res.codes, found{text: r.GetText(), x: tl.GetX(), y: tl.GetY(),
				corners: [3]point{{bl.GetX(), bl.GetY()}, {tl.GetX(), tl.GetY()}, {tr.GetX(), tr.GetY()}}})
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
		if c.GetCount() >= 2 && !used[c] && !inside(point{c.GetX(), c.GetY()}, res.codes) {
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
			res.left = append(res.left, point{c.GetX(), c.GetY()})
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

// inside reports whether p lies within one of the codes: a finder
// pattern of it, or a finder-like shape in its data.
func inside(p point, codes []found) bool {
	for _, c := range codes {
		bl, tl, tr := c.corners[0], c.corners[1], c.corners[2]
		// p = tl + a·(tr−tl) + b·(bl−tl), inside the code for a, b in [−0.2, 1.2].
		ux, uy := tr.x-tl.x, tr.y-tl.y
		vx, vy := bl.x-tl.x, bl.y-tl.y
		px, py := p.x-tl.x, p.y-tl.y
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
	return decodeFitted(m, tl, tr, bl, base, module)
}

// A fit is a dimension and a bottom-right point for a code's grid, and how
// many of the modules of its alignment patterns it samples right.
type fit struct {
	dim          int
	brX, brY     float64
	score, total int
}

// decodeFitted looks for the grid of a code seen in perspective (a photo
// of a screen): gozxing's detector puts the fourth corner where a
// parallelogram would have it, and looks for one alignment pattern near
// there, which a tilted, blurred or moiré-striped photo hides. Here the
// fourth corner is searched instead, around the parallelogram's, for the
// point whose grid samples the most modules of all alignment patterns
// right, at each dimension around the estimate; the best fits are decoded.
func decodeFitted(m *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, base int, module float64) (*gozxing.Result, bool) {
	var fits []fit
	for _, delta := range []int{0, -4, 4, -8, 8} {
		dim := base + delta
		if dim < 25 || dim > 177 {
			continue // version 1 has no alignment pattern
		}
		if f, ok := fitCorner(m, tl, tr, bl, dim, module); ok {
			fits = append(fits, f)
		}
	}
	slices.SortFunc(fits, func(a, b fit) int { return b.score*a.total - a.score*b.total })
	for _, f := range fits[:min(len(fits), 3)] {
		transform := cornerTransform(tl, tr, bl, f.brX, f.brY, f.dim)
		bits, err := detector.Detector_sampleGrid(m, transform, f.dim)
		if err != nil {
			continue
		}
		if r, ok := decodeBits(bits, []gozxing.ResultPoint{bl, tl, tr}); ok {
			return r, true
		}
	}
	return nil, false
}

// cornerTransform maps a code's modules to the image by its three finder
// patterns' centres and the point (brX, brY) where a fourth, bottom-right
// one would be centred.
func cornerTransform(tl, tr, bl gozxing.ResultPoint, brX, brY float64, dim int) *common.PerspectiveTransform {
	far := float64(dim) - 3.5
	return common.PerspectiveTransform_QuadrilateralToQuadrilateral(3.5, 3.5, far, 3.5, far, far, 3.5, far,
		tl.GetX(), tl.GetY(), tr.GetX(), tr.GetY(), brX, brY, bl.GetX(), bl.GetY())
}

// fitCorner searches the fourth corner of a code of dim modules, in steps
// of a module then of half a module, for the best match of the alignment
// patterns.
func fitCorner(m *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, dim int, module float64) (fit, bool) {
	version, err := decoder.Version_GetVersionForNumber((dim - 17) / 4)
	if err != nil {
		return fit{}, false
	}
	// The alignment patterns' modules: centre dark, ring light, rim dark.
	var where []float64
	var dark []bool
	centers := version.GetAlignmentPatternCenters()
	last := len(centers) - 1
	for i, cy := range centers {
		for j, cx := range centers {
			if i == 0 && (j == 0 || j == last) || i == last && j == 0 {
				continue // under a finder pattern
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					where = append(where, float64(cx+dx)+0.5, float64(cy+dy)+0.5)
					dark = append(dark, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	points := make([]float64, len(where))
	score := func(brX, brY float64) int {
		copy(points, where)
		cornerTransform(tl, tr, bl, brX, brY, dim).TransformPoints(points)
		n := 0
		for k, want := range dark {
			x, y := points[2*k], points[2*k+1]
			if x >= 0 && y >= 0 && m.Get(int(x), int(y)) == want {
				n++
			}
		}
		return n
	}
	best := fit{dim: dim, total: len(dark)}
	best.brX = tr.GetX() - tl.GetX() + bl.GetX()
	best.brY = tr.GetY() - tl.GetY() + bl.GetY()
	best.score = score(best.brX, best.brY)
	// Coarse, a module a step up to 4 modules away, then fine.
	for _, step := range []struct {
		size  float64
		reach int
	}{{module, 4}, {module / 2, 1}, {module / 4, 1}} {
		cx, cy := best.brX, best.brY
		for iy := -step.reach; iy <= step.reach; iy++ {
			for ix := -step.reach; ix <= step.reach; ix++ {
				x, y := cx+float64(ix)*step.size, cy+float64(iy)*step.size
				if n := score(x, y); n > best.score {
					best.score, best.brX, best.brY = n, x, y
				}
			}
		}
	}
	return best, true
}

func abs(v int) int { return max(v, -v) }

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
