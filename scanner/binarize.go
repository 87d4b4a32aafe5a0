package scanner

import (
	"encoding/binary"

	"github.com/makiuchi-d/gozxing"
)

// hybridMatrix thresholds g into black and white as gozxing's
// HybridBinarizer does (ZXing's algorithm: a black point per 8×8 block,
// each block thresholded at the mean of the 5×5 blocks around it), but
// several times faster: no per-pixel method calls, and 32 pixels of a row
// set at once. Images under 40 pixels a side get the global histogram
// binarizer, as in gozxing.
func hybridMatrix(g gray) *gozxing.BitMatrix {
	const block, minRange = 8, 24
	w, h := g.w, g.h
	if w < 40 || h < 40 {
		return binarize(g, global)
	}
	subW, subH := (w+block-1)/block, (h+block-1)/block
	black := make([]int32, subW*subH)
	maxX, maxY := w-block, h-block
	for by := range subH {
		y0 := min(by*block, maxY)
		rows := g.pix[y0*w : (y0+block)*w]
		for bx := range subW {
			x0 := min(bx*block, maxX)
			// Eight pixels a word.
			var v [block]uint64
			for yy := range v {
				v[yy] = binary.LittleEndian.Uint64(rows[yy*w+x0:])
			}
			var sum, mn, mx int
			if flat := v[0] & 0xff * 0x0101010101010101; v[0] == flat && v[1] == flat && v[2] == flat &&
				v[3] == flat && v[4] == flat && v[5] == flat && v[6] == flat && v[7] == flat {
				// One grey all over, as much of a screen capture is.
				mn = int(flat & 0xff)
				sum, mx = mn*block*block, mn
			} else {
				// Sums in 16-bit lanes; minimum and maximum byte by byte,
				// rows paired so that one comparison gives both.
				var sums uint64
				for _, r := range v {
					sums += r&0x00ff00ff00ff00ff + r>>8&0x00ff00ff00ff00ff
				}
				sum = int(sums * 0x0001000100010001 >> 48)
				lo01, hi01 := minMaxBytes(v[0], v[1])
				lo23, hi23 := minMaxBytes(v[2], v[3])
				lo45, hi45 := minMaxBytes(v[4], v[5])
				lo67, hi67 := minMaxBytes(v[6], v[7])
				lo := minBytes(minBytes(lo01, lo23), minBytes(lo45, lo67))
				hi := maxBytes(maxBytes(hi01, hi23), maxBytes(hi45, hi67))
				lo = minBytes(lo, lo>>32)
				lo = minBytes(lo, lo>>16)
				lo = minBytes(lo, lo>>8)
				hi = maxBytes(hi, hi>>32)
				hi = maxBytes(hi, hi>>16)
				hi = maxBytes(hi, hi>>8)
				mn, mx = int(lo&0xff), int(hi&0xff)
			}
			avg := sum >> 6
			if mx-mn <= minRange {
				avg = mn / 2
				if by > 0 && bx > 0 {
					nb := (int(black[(by-1)*subW+bx]) + 2*int(black[by*subW+bx-1]) + int(black[(by-1)*subW+bx-1])) / 4
					if mn < nb {
						avg = nb
					}
				}
			}
			black[by*subW+bx] = int32(avg)
		}
	}
	thresholds := blockThresholds(black, subW, subH)
	m, _ := gozxing.NewBitMatrix(w, h)
	row := gozxing.NewBitArray(w)
	full := w / block
	for y := range h {
		ts := thresholds[min(y/block, subH-1)*subW:]
		pix := g.pix[y*w : (y+1)*w]
		row.Clear()
		var word uint64
		for bx := range full {
			// Eight pixels compared at once: a byte's top bit is set where
			// the threshold is at least the pixel, then the eight top bits
			// are gathered into one byte.
			t := uint64(ts[bx]) * 0x0101010101010101
			le := geBytes(t, binary.LittleEndian.Uint64(pix[bx*block:]))
			word |= (le >> 7 * 0x0102040810204080 >> 56) << (bx & 3 * 8)
			if bx&3 == 3 {
				row.SetBulk(bx/4*32, uint32(word))
				word = 0
			}
		}
		if full&3 != 0 {
			row.SetBulk(full/4*32, uint32(word))
		}
		if full < subW {
			t := ts[subW-1]
			for x := maxX; x < w; x++ {
				if pix[x] <= t {
					row.Set(x)
				}
			}
		}
		m.SetRow(y, row)
	}
	return m
}

// Bytewise comparisons of eight bytes packed in a word (SWAR).
const (
	highBits = 0x8080808080808080
	lowBits  = 0x7f7f7f7f7f7f7f7f
)

// geBytes sets the top bit of each byte of the result where a's byte is at
// least b's, and clears every other bit.
func geBytes(a, b uint64) uint64 {
	t := (a | highBits) - (b & lowBits) // top bit: a's low seven bits ≥ b's
	return (a&^b | ^(a^b)&t) & highBits
}

func minBytes(a, b uint64) uint64 {
	m := geBytes(a, b) >> 7 * 0xff
	return b&m | a&^m
}

func minMaxBytes(a, b uint64) (lo, hi uint64) {
	m := geBytes(a, b) >> 7 * 0xff
	return b&m | a&^m, a&m | b&^m
}

func maxBytes(a, b uint64) uint64 {
	m := geBytes(a, b) >> 7 * 0xff
	return a&m | b&^m
}

// blockThresholds returns each block's threshold: the mean black point of
// the 5×5 blocks around it (moved inside the grid at the edges).
func blockThresholds(black []int32, subW, subH int) []uint8 {
	thresholds := make([]uint8, subW*subH)
	cols := make([]int32, subW) // a block row's sums of five black points down
	for by := range subH {
		top := min(max(by, 2), subH-3)
		clear(cols)
		for z := top - 2; z <= top+2; z++ {
			for bx, v := range black[z*subW : (z+1)*subW] {
				cols[bx] += v
			}
		}
		out := thresholds[by*subW : (by+1)*subW]
		for bx := range out {
			left := min(max(bx, 2), subW-3)
			r := cols[left-2 : left+3 : left+3]
			out[bx] = uint8(min(255, int(r[0]+r[1]+r[2]+r[3]+r[4])/25))
		}
	}
	return thresholds
}

// hybridMatrixBlocks is hybridMatrix with blocks of block×block pixels
// (4 or 8): with 4, each threshold comes from a window of 20×20 pixels, not
// 40×40, which keeps the edge of a grey card from darkening the finder
// patterns of a low-contrast code printed on it.
//
// With fill, a flat block's black point is not guessed from its level
// (ZXing takes half of it, or its neighbours' if they are darker) but
// filled in from the nearest blocks that have contrast: in a grey-on-grey
// code, half of the light level puts the thresholds around a finder
// pattern under its dark modules.
func hybridMatrixBlocks(g gray, block int, fill bool) *gozxing.BitMatrix {
	const minRange = 24
	perWord := 32 / block
	w, h := g.w, g.h
	if w < 40 || h < 40 {
		return binarize(g, global)
	}
	subW, subH := (w+block-1)/block, (h+block-1)/block
	black := make([]int32, subW*subH)
	maxX, maxY := w-block, h-block
	for by := range subH {
		y0 := min(by*block, maxY)
		for bx := range subW {
			x0 := min(bx*block, maxX)
			sum, lo, hi := 0, 255, 0
			for yy := range block {
				row := g.pix[(y0+yy)*w+x0 : (y0+yy)*w+x0+block : (y0+yy)*w+x0+block]
				for _, p := range row {
					v := int(p)
					sum += v
					lo = min(lo, v)
					hi = max(hi, v)
				}
			}
			avg := sum / (block * block)
			if hi-lo <= minRange {
				// A flat block: light, unless its neighbours say dark.
				avg = lo / 2
				if fill {
					avg = -1 // unknown: filled in below
				}
				if by > 0 && bx > 0 && !fill {
					nb := (int(black[(by-1)*subW+bx]) + 2*int(black[by*subW+bx-1]) + int(black[(by-1)*subW+bx-1])) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			black[by*subW+bx] = int32(avg)
		}
	}
	if fill {
		fillBlackPoints(black, subW, subH)
	}
	thresholds := blockThresholds(black, subW, subH)
	m, _ := gozxing.NewBitMatrix(w, h)
	row := gozxing.NewBitArray(w)
	full := w / block // blocks wholly inside the row, at their own place
	for y := range h {
		// gozxing moves the last block row up to end at the image's end,
		// and sets a pixel covered by two blocks if either says black; here
		// such rows take the upper block's threshold only.
		by := min(y/block, subH-1)
		ts := thresholds[by*subW : (by+1)*subW]
		pix := g.pix[y*w : (y+1)*w]
		row.Clear()
		var word uint32
		for bx := range full {
			t := ts[bx]
			p := pix[bx*block : bx*block+block : bx*block+block]
			var bits uint32
			for i, v := range p {
				if v <= t {
					bits |= 1 << i
				}
			}
			word |= bits << ((bx % perWord) * block)
			if bx%perWord == perWord-1 {
				row.SetBulk(bx/perWord*32, word)
				word = 0
			}
		}
		if full%perWord != 0 {
			row.SetBulk(full/perWord*32, word)
		}
		if full < subW {
			// The last, partial block is thresholded over the image's last
			// eight columns with the last block's threshold.
			t := ts[subW-1]
			for x := maxX; x < w; x++ {
				if pix[x] <= t {
					row.Set(x)
				}
			}
		}
		m.SetRow(y, row)
	}
	return m
}

// fillBlackPoints gives each unknown black point (−1) the mean of its known
// neighbours, sweeping forwards then backwards so that every block gets one
// from its nearest known blocks. If none is known, they become 0.
func fillBlackPoints(black []int32, w, h int) {
	sweep := func(order func(i int) int, prevs [4][2]int) {
		for i := range black {
			k := order(i)
			if black[k] >= 0 {
				continue
			}
			x, y := k%w, k/w
			sum, n := int32(0), int32(0)
			for _, d := range prevs {
				nx, ny := x+d[0], y+d[1]
				if nx >= 0 && ny >= 0 && nx < w && ny < h {
					if v := black[ny*w+nx]; v >= 0 {
						sum += v
						n++
					}
				}
			}
			if n > 0 {
				black[k] = sum / n
			}
		}
	}
	sweep(func(i int) int { return i }, [4][2]int{{-1, 0}, {0, -1}, {-1, -1}, {1, -1}})
	sweep(func(i int) int { return len(black) - 1 - i }, [4][2]int{{1, 0}, {0, 1}, {1, 1}, {-1, 1}})
	for i, v := range black {
		if v < 0 {
			black[i] = 0
		}
	}
}
