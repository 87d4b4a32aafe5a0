package corpus

import (
	"image"
	"math"
	"math/rand/v2"
)

// Photo describes a simulated photograph of a screen: the screen seen in
// perspective in a dark surround, its pixel grid beating with the camera's
// (moiré), lit unevenly, out of focus, with sensor noise.
type Photo struct {
	W, H int // the photo
	// Fill is the share of the photo's height (or width, for a landscape
	// screen in a landscape photo) the screen covers.
	Fill float64
	// Tilt moves the screen's corners by up to this share of its size:
	// perspective.
	Tilt float64
	// Turn rotates the screen, in degrees.
	Turn float64
	// Black and White are the photo's levels of the screen's black and
	// white (a lit screen's black is grey in a photo).
	Black, White float64
	Moire        float64 // depth of the pixel grid's darkening, 0 to 1
	Light        float64 // how uneven the light is, 0 to 1
	Glare        float64 // a reflection's strength, 0 to 1
	Blur         int     // box radius (three passes) of the defocus
	Noise        float64 // standard deviation of the sensor's noise
	Bezel        float64 // the phone's or monitor's frame, as a share of the screen's width
}

// Take photographs screen as p says, with rng for the noise and where the
// screen is.
func (p Photo) Take(screen *image.RGBA, rng *rand.Rand) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	sw, sh := float64(screen.Rect.Dx()), float64(screen.Rect.Dy())
	// Where the screen's corners land: scaled to Fill, centred with a
	// little offset, turned, each corner moved by Tilt.
	scale := p.Fill * float64(p.H) / sh
	if sw*scale > 0.95*float64(p.W) {
		scale = 0.95 * float64(p.W) / sw
	}
	cx := float64(p.W)/2 + (rng.Float64()-0.5)*0.1*float64(p.W)
	cy := float64(p.H)/2 + (rng.Float64()-0.5)*0.1*float64(p.H)
	rad := p.Turn * math.Pi / 180
	var dst [4][2]float64
	src := [4][2]float64{{0, 0}, {sw, 0}, {sw, sh}, {0, sh}}
	for i, c := range src {
		x := (c[0] - sw/2) * scale
		y := (c[1] - sh/2) * scale
		x += (rng.Float64()*2 - 1) * p.Tilt * sw * scale
		y += (rng.Float64()*2 - 1) * p.Tilt * sh * scale
		dst[i] = [2]float64{cx + x*math.Cos(rad) - y*math.Sin(rad), cy + x*math.Sin(rad) + y*math.Cos(rad)}
	}
	h := homography(dst, src) // photo → screen
	bezel := p.Bezel * sw
	gx, gy, gr := rng.Float64()*float64(p.W), rng.Float64()*float64(p.H), (0.2+0.3*rng.Float64())*float64(p.W)
	lx, ly := rng.Float64()*2-1, rng.Float64()*2-1
	pix := screen.Pix
	for y := range p.H {
		for x := range p.W {
			u, v := h.apply(float64(x)+0.5, float64(y)+0.5)
			var r, g, b float64
			switch {
			case u >= 0 && v >= 0 && u < sw-1 && v < sh-1:
				// Bilinear sample of the screen, then its pixel grid.
				u0, v0 := int(u), int(v)
				fu, fv := u-float64(u0), v-float64(v0)
				i := v0*screen.Stride + u0*4
				for c := range 3 {
					top := float64(pix[i+c])*(1-fu) + float64(pix[i+4+c])*fu
					bot := float64(pix[i+screen.Stride+c])*(1-fu) + float64(pix[i+screen.Stride+4+c])*fu
					val := p.Black + (top*(1-fv)+bot*fv)/255*(p.White-p.Black)
					switch c {
					case 0:
						r = val
					case 1:
						g = val
					default:
						b = val
					}
				}
				grid := 1 - p.Moire*(0.5+0.25*math.Cos(2*math.Pi*u)+0.25*math.Cos(2*math.Pi*v))
				r, g, b = r*grid, g*grid, b*grid
			case u >= -bezel && v >= -bezel && u < sw+bezel && v < sh+bezel:
				r, g, b = 18, 18, 20 // the frame
			default:
				// A desk: a dull gradient.
				r = 90 + 40*float64(y)/float64(p.H)
				g, b = r*0.95, r*0.85
			}
			fx, fy := float64(x)/float64(p.W)-0.5, float64(y)/float64(p.H)-0.5
			light := 1 + p.Light*(0.6*(lx*fx+ly*fy)-0.8*(fx*fx+fy*fy))
			dx, dy := float64(x)-gx, float64(y)-gy
			glare := p.Glare * 120 * math.Exp(-(dx*dx+dy*dy)/(gr*gr))
			o := out.PixOffset(x, y)
			out.Pix[o] = clamp(r*light + glare)
			out.Pix[o+1] = clamp(g*light + glare)
			out.Pix[o+2] = clamp(b*light + glare)
			out.Pix[o+3] = 255
		}
	}
	boxBlurRGBA(out, p.Blur, 3)
	if p.Noise > 0 {
		for i := 0; i < len(out.Pix); i += 4 {
			n := rng.NormFloat64() * p.Noise
			for c := range 3 {
				out.Pix[i+c] = clamp(float64(out.Pix[i+c]) + n + rng.NormFloat64()*p.Noise/2)
			}
		}
	}
	return out
}

func clamp(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v + 0.5)
}

// projective is a 3×3 homography, row-major, h[8] = 1.
type projective [9]float64

func (h projective) apply(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// homography returns the projective map taking each from[i] to to[i].
func homography(from, to [4][2]float64) projective {
	var a [8][9]float64
	for i := range 4 {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	// Gaussian elimination with partial pivoting.
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := range 8 {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := c; k < 9; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	var h projective
	for i := range 8 {
		h[i] = a[i][8] / a[i][i]
	}
	h[8] = 1
	return h
}
