package corpus

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"

	"github.com/countersign/countersign/vault"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	xdraw "golang.org/x/image/draw"
)

var (
	issuers = []string{"Google", "GitHub", "Microsoft", "Amazon Web Services", "Dropbox", "Proton", "Bitwarden", "Slack",
		"Discord", "Reddit", "GitLab", "Cloudflare", "DigitalOcean", "Coinbase", "PayPal", "Stripe", "Atlassian", "Hetzner",
		"Nextcloud", "Mastodon", "Fastmail", "Twitch", "Epic Games", "Ubisoft", "npm", "PyPI", "Heroku", "Linode", "OVHcloud", ""}
	people = []string{"alice", "bob", "carol.jones", "dmitri", "eve.martin", "frank_o", "grace.hopper", "heidi", "ivan.petrov",
		"judy", "mallory.smith", "niaj", "olivia.w", "peggy", "rupert", "sybil.kim", "trent", "victor.hugo", "walter", "zoe"}
	domains = []string{"gmail.com", "example.com", "proton.me", "outlook.com", "company.co.uk", "fastmail.fm", ""}
)

// ExportURIs returns the Google Authenticator export URIs
// (otpauth-migration://offline?data=…) of accounts made-up accounts, perBatch
// to a code, as vault/transfer.GoogleBatches makes them but with the batch
// id and the accounts drawn from rng: e-mail addresses, well-known issuers,
// secrets of 80 to 256 bits. Ten of them make a code of version 21 to 27.
func ExportURIs(rng *rand.Rand, accounts, perBatch int) ([]string, error) {
	return exportURIs(rng, accounts, perBatch, false)
}

// ShortExportURIs is ExportURIs with short names, short or no issuers and
// 80-bit secrets: ten accounts make a code of version 16 to 18.
func ShortExportURIs(rng *rand.Rand, accounts, perBatch int) ([]string, error) {
	return exportURIs(rng, accounts, perBatch, true)
}

func exportURIs(rng *rand.Rand, accounts, perBatch int, short bool) ([]string, error) {
	keys := make([]vault.Key, accounts)
	for i := range keys {
		if short {
			name := people[rng.IntN(len(people))]
			if len(name) > 6 {
				name = name[:6]
			}
			issuer := issuers[rng.IntN(len(issuers))]
			if len(issuer) > 8 {
				issuer = ""
			}
			secret := make([]byte, 10)
			for j := range secret {
				secret[j] = byte(rng.Uint32())
			}
			keys[i] = vault.Key{Params: vault.Params{Type: vault.TOTP, Issuer: issuer, Name: name,
				Algorithm: vault.SHA1, Digits: 6, Period: 30}, Secret: secret}
			continue
		}
		name := people[rng.IntN(len(people))]
		if d := domains[rng.IntN(len(domains))]; d != "" {
			name += "@" + d
		}
		// Most services give 80- or 160-bit secrets; a few 256.
		secret := make([]byte, []int{10, 10, 16, 20, 20, 32}[rng.IntN(6)])
		for j := range secret {
			secret[j] = byte(rng.Uint32())
		}
		keys[i] = vault.Key{Params: vault.Params{Type: vault.TOTP, Issuer: issuers[rng.IntN(len(issuers))], Name: name,
			Algorithm: vault.SHA1, Digits: 6, Period: 30}, Secret: secret}
	}
	batches := (accounts + perBatch - 1) / perBatch
	id := int(rng.Int32())
	var uris []string
	for i := 0; i < accounts; i += perBatch {
		uri, err := vault.MigrationURI(vault.Migration{Keys: keys[i:min(i+perBatch, accounts)], Version: 1,
			BatchSize: batches, BatchIndex: i / perBatch, BatchID: id})
		if err != nil {
			return nil, err
		}
		uris = append(uris, uri)
	}
	return uris, nil
}

// Phone describes a screenshot of an authenticator app's export screen.
type Phone struct {
	W, H  int      // the screen, in pixels: 1080×2400, 1440×3200, 720×1600…
	Codes []string // the codes shown, one above the other or side by side
	Light bool     // a light theme; dark otherwise
	// Quiet is the white margin around each code, in modules (the standard
	// asks for four; apps often show one or two).
	Quiet int
	// Width is the width of each code with its margin, as a share of the
	// screen's width; 0 fits the codes in.
	Width float64
	// SideBySide puts the codes in a row.
	SideBySide bool
	// Kernel is how the app scales the code's modules to its size on the
	// screen (nil: nearest neighbour, crisp).
	Kernel xdraw.Interpolator
	Level  decoder.ErrorCorrectionLevel
}

// Draw renders the screen, and returns it with the size in pixels of the
// smallest code's modules and its version.
func (p Phone) Draw() (*image.RGBA, float64, int, error) {
	img := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	bg, fg, dim, card := color.RGBA{0x13, 0x13, 0x14, 0xff}, color.RGBA{0xe3, 0xe3, 0xe3, 0xff}, color.RGBA{0xc4, 0xc7, 0xc5, 0xff}, color.RGBA{0xff, 0xff, 0xff, 0xff}
	if p.Light {
		bg, fg, dim, card = color.RGBA{0xff, 0xff, 0xff, 0xff}, color.RGBA{0x1f, 0x1f, 0x1f, 0xff}, color.RGBA{0x44, 0x47, 0x46, 0xff}, color.RGBA{0xf8, 0xf9, 0xfa, 0xff}
	}
	Fill(img, img.Bounds(), bg)
	dp := float64(p.W) / 360 // Android's density-independent pixel
	px := func(v float64) int { return int(v*dp + 0.5) }

	// Status bar: the time, then signal, charge and battery at the right.
	Text(img, "9:41", px(16), px(18), px(14), true, fg)
	Fill(img, image.Rect(p.W-px(38), px(8), p.W-px(16), px(19)), fg)
	charge := p.W - px(42) - TextWidth("87%", px(12), false)
	Text(img, "87%", charge, px(18), px(12), false, fg)
	for i := range 4 {
		h := px(3 + 2.5*float64(i))
		x := charge - px(26) + i*px(5)
		Fill(img, image.Rect(x, px(18)-h, x+px(3), px(18)), fg)
	}
	// App bar and the explanation.
	Text(img, "←", px(16), px(62), px(24), false, fg)
	Text(img, "Transfer accounts", px(60), px(60), px(22), false, fg)
	y := Paragraph(img, "Scan these QR codes with the Authenticator app on your new device. "+
		"Anyone who sees them can get your codes: keep them private.", px(24), px(84), p.W-px(48), px(14), dim)

	// The codes.
	bottom := p.H - px(96) // above the Next button
	n := len(p.Codes)
	gap := px(16)
	caption := px(36)
	var side int
	if p.SideBySide {
		side = (p.W - px(24)*2 - gap*(n-1)) / n
	} else {
		side = min(p.W-px(48), (bottom-y-gap*n-caption*n)/n)
	}
	if p.Width > 0 {
		side = min(side, int(p.Width*float64(p.W)))
	}
	moduleSize, version := 1e9, 0
	x0, y0 := (p.W-side)/2, y+gap
	if p.SideBySide {
		x0 = (p.W - n*side - (n-1)*gap) / 2
	}
	for i, text := range p.Codes {
		m, v, err := Modules(text, p.Level, p.Quiet)
		if err != nil {
			return nil, 0, 0, err
		}
		if s := float64(side) / float64(m.Bounds().Dx()); s < moduleSize {
			moduleSize, version = s, v
		}
		code := Scale(m, side, side, p.Kernel)
		// Tint the code as the app's card: not pure white.
		for j := 0; j < len(code.Pix); j += 4 {
			l := uint32(code.Pix[j])
			code.Pix[j] = uint8((l*uint32(card.R) + (255-l)*0x1f) / 255)
			code.Pix[j+1] = uint8((l*uint32(card.G) + (255-l)*0x1f) / 255)
			code.Pix[j+2] = uint8((l*uint32(card.B) + (255-l)*0x1f) / 255)
		}
		Place(img, code, image.Pt(x0, y0))
		label := fmt.Sprintf("QR code %d of %d", i+1, n)
		Text(img, label, x0+(side-TextWidth(label, px(14), false))/2, y0+side+px(24), px(14), false, dim)
		if p.SideBySide {
			x0 += side + gap
		} else {
			y0 += side + caption + gap
		}
	}
	// The Next button and the gesture bar.
	bx := p.W - px(24) - px(88)
	Fill(img, image.Rect(bx, p.H-px(80), bx+px(88), p.H-px(40)), color.RGBA{0xa8, 0xc7, 0xfa, 0xff})
	Text(img, "Next", bx+(px(88)-TextWidth("Next", px(14), true))/2, p.H-px(55), px(14), true, color.RGBA{0x06, 0x2e, 0x6f, 0xff})
	Fill(img, image.Rect(p.W/2-px(54), p.H-px(12), p.W/2+px(54), p.H-px(8)), fg)
	return img, moduleSize, version, nil
}
