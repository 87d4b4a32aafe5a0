package corpus

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/countersign/countersign/vault"
)

// TestExportURIs checks that the made-up exports are what Google
// Authenticator's would be: ten accounts a code, one batch id, numbered
// batches, and the same for the same seed.
func TestExportURIs(t *testing.T) {
	for _, exports := range []func(*rand.Rand, int, int) ([]string, error){ExportURIs, ShortExportURIs} {
		uris, err := exports(rand.New(rand.NewPCG(1, 2)), 20, 10)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := exports(rand.New(rand.NewPCG(1, 2)), 20, 10)
		if len(uris) != 2 || !reflect.DeepEqual(uris, again) {
			t.Fatalf("%d URIs, same again: %v", len(uris), reflect.DeepEqual(uris, again))
		}
		var id int
		for i, uri := range uris {
			m, err := vault.ParseMigrationURI(uri)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Keys) != 10 || m.BatchSize != 2 || m.BatchIndex != i || (i > 0 && m.BatchID != id) {
				t.Errorf("batch %d: %d keys, size %d, index %d, id %d", i, len(m.Keys), m.BatchSize, m.BatchIndex, m.BatchID)
			}
			id = m.BatchID
		}
	}
}

// TestHomography checks that the photo's projective map takes each corner
// where it is asked to.
func TestHomography(t *testing.T) {
	from := [4][2]float64{{10, 20}, {900, 40}, {870, 1300}, {30, 1250}}
	to := [4][2]float64{{0, 0}, {1080, 0}, {1080, 2400}, {0, 2400}}
	h := homography(from, to)
	for i, p := range from {
		x, y := h.apply(p[0], p[1])
		if math.Abs(x-to[i][0]) > 1e-6 || math.Abs(y-to[i][1]) > 1e-6 {
			t.Errorf("corner %d: (%g, %g), want %v", i, x, y, to[i])
		}
	}
}
