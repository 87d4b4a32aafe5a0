package scanner

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image/color"
	"io"
)

// errPNGFallback says that pngLuminance does not read this PNG: it is
// interlaced, 16-bit, of fewer than 8 bits a sample, or has a transparent
// colour; image/png reads it instead.
var errPNGFallback = errors.New("PNG variant left to image/png")

// pngLuminance decodes the common PNGs (8 bits a sample: grey, grey and
// alpha, RGB, RGBA, palette; not interlaced) straight to luminance, row by
// row, as luminance would compute it from image/png's result. A 1920×1080
// screen capture decodes in a fraction of image/png's time: no RGBA image
// is made, and the zlib checksum, which the chunks' CRCs already guard, is
// not computed again. Malformed data is an error; variants it does not
// read are errPNGFallback.
func pngLuminance(data []byte) (gray, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return gray{}, errors.New("not a PNG")
	}
	data = data[len(sig):]
	var (
		w, h          int
		depth, ctype  byte
		palette       [256]uint8
		paletteAlpha  []byte
		paletteColors []byte
		idat          [][]byte
		seenIHDR      bool
	)
	for {
		if len(data) < 12 {
			return gray{}, io.ErrUnexpectedEOF
		}
		n := binary.BigEndian.Uint32(data)
		if uint64(n) > uint64(len(data)-12) {
			return gray{}, io.ErrUnexpectedEOF
		}
		typ, body := string(data[4:8]), data[8:8+n]
		if crc32.ChecksumIEEE(data[4:8+n]) != binary.BigEndian.Uint32(data[8+n:]) {
			return gray{}, errors.New("PNG checksum error in " + typ)
		}
		data = data[12+n:]
		switch typ {
		case "IHDR":
			if n != 13 {
				return gray{}, errors.New("bad PNG header")
			}
			w, h = int(binary.BigEndian.Uint32(body)), int(binary.BigEndian.Uint32(body[4:]))
			depth, ctype = body[8], body[9]
			if w <= 0 || h <= 0 || w > MaxPixels || h > MaxPixels || w*h > MaxPixels {
				return gray{}, errPNGFallback // image/png says what is wrong
			}
			if depth != 8 || body[12] != 0 || (ctype != 0 && ctype != 2 && ctype != 3 && ctype != 4 && ctype != 6) {
				return gray{}, errPNGFallback
			}
			seenIHDR = true
		case "PLTE":
			paletteColors = body
		case "tRNS":
			if ctype != 3 {
				return gray{}, errPNGFallback
			}
			paletteAlpha = body
		case "IDAT":
			idat = append(idat, body)
		case "IEND":
			if !seenIHDR || len(idat) == 0 {
				return gray{}, errors.New("PNG without image data")
			}
			return pngRows(idat, w, h, ctype, &palette, paletteColors, paletteAlpha)
		}
	}
}

// pngRows inflates and unfilters the image data and converts each row.
func pngRows(idat [][]byte, w, h int, ctype byte, palette *[256]uint8, colors, alpha []byte) (gray, error) {
	bpp := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
	if ctype == 3 {
		if len(colors)%3 != 0 || len(colors) == 0 || len(colors) > 768 || len(alpha) > len(colors)/3 {
			return gray{}, errors.New("bad PNG palette")
		}
		for i := range len(colors) / 3 {
			c := color.NRGBA{colors[3*i], colors[3*i+1], colors[3*i+2], 255}
			if i < len(alpha) {
				c.A = alpha[i]
			}
			palette[i] = lumaOf(c) // as luminance computes it from image/png's palette
		}
	}
	var z io.Reader
	if len(idat) == 1 {
		z = bytes.NewReader(idat[0])
	} else {
		z = bytes.NewReader(bytes.Join(idat, nil))
	}
	var hdr [2]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return gray{}, err
	}
	if hdr[0]&0x0f != 8 || (uint16(hdr[0])<<8|uint16(hdr[1]))%31 != 0 || hdr[1]&0x20 != 0 {
		return gray{}, errors.New("bad zlib header in PNG")
	}
	fr := flate.NewReader(z)
	defer fr.Close()
	stride := w * bpp
	cur, prev := make([]byte, stride+1), make([]byte, stride+1)
	out := gray{pix: make([]byte, w*h), w: w, h: h}
	for y := range h {
		if _, err := io.ReadFull(fr, cur); err != nil {
			return gray{}, err
		}
		row, dst := cur[1:], out.pix[y*w:(y+1)*w]
		if y > 0 && cur[0] == 2 && allZero(row) {
			// The same row as the one above, as often in a screen
			// capture: its luminance too. prev stays the row above.
			copy(dst, out.pix[(y-1)*w:y*w])
			continue
		}
		if err := unfilter(cur[0], row, prev[1:], bpp); err != nil {
			return gray{}, err
		}
		switch ctype {
		case 0:
			copy(dst, row)
		case 2:
			for x := range dst {
				p := row[3*x : 3*x+3 : 3*x+3]
				dst[x] = uint8((uint32(p[0]) + 2*uint32(p[1]) + uint32(p[2])) / 4)
			}
		case 3:
			for x := range dst {
				dst[x] = palette[row[x]]
			}
		case 4:
			for x := range dst {
				l, a := uint32(row[2*x]), uint32(row[2*x+1])
				dst[x] = uint8((l*a + 255*(255-a)) / 255)
			}
		case 6:
			for x := range dst {
				p := row[4*x : 4*x+4 : 4*x+4]
				l, a := (uint32(p[0])+2*uint32(p[1])+uint32(p[2]))/4, uint32(p[3])
				dst[x] = uint8((l*a + 255*(255-a)) / 255)
			}
		}
		cur, prev = prev, cur
	}
	return out, nil
}

// allZero reports whether every byte of b is 0.
func allZero(b []byte) bool {
	var or uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		or |= binary.LittleEndian.Uint64(b[i:])
	}
	for ; i < len(b); i++ {
		or |= uint64(b[i])
	}
	return or == 0
}

// unfilter undoes a PNG row filter in place; prev is the previous row,
// unfiltered (zeros above the first).
func unfilter(filter byte, cur, prev []byte, bpp int) error {
	switch filter {
	case 0:
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up: eight bytes at a time, without carries between them
		const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
		i := 0
		for ; i+8 <= len(cur); i += 8 {
			a, b := binary.LittleEndian.Uint64(cur[i:]), binary.LittleEndian.Uint64(prev[i:])
			binary.LittleEndian.PutUint64(cur[i:], ((a&low7)+(b&low7))^((a^b)&high))
		}
		for ; i < len(cur); i++ {
			cur[i] += prev[i]
		}
	case 3: // Average
		for i := range bpp {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		for i := range bpp {
			cur[i] += prev[i]
		}
		for i := bpp; i < len(cur); i++ {
			a, b, c := int(cur[i-bpp]), int(prev[i]), int(prev[i-bpp])
			pa, pb, pc := b-c, a-c, a+b-2*c
			pa, pb, pc = max(pa, -pa), max(pb, -pb), max(pc, -pc)
			switch {
			case pa <= pb && pa <= pc:
				cur[i] += uint8(a)
			case pb <= pc:
				cur[i] += uint8(b)
			default:
				cur[i] += uint8(c)
			}
		}
	default:
		return errors.New("bad PNG filter")
	}
	return nil
}
