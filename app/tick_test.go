package app

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
)

// onScreen describes the rows the list shows now, without refreshing it:
// "issuer|code|next|seconds left", top to bottom.
func onScreen(f *fixture) []string {
	var rows []*accountRow
	for id, r := range f.ui.rows {
		if r.index == id && id < len(f.ui.shown) && r.account.ID == f.ui.shown[id].ID {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b *accountRow) int { return a.index - b.index })
	var out []string
	for _, r := range rows {
		out = append(out, r.issuerText+"|"+r.code.Text+"|"+r.nextText+"|"+r.left.label.Text)
	}
	return out
}

// TestTickUpdatesTheRowsOnly: the once-a-second tick shows the new codes
// and seconds on the rows on screen without making the list build a row
// (widget.List.Refresh makes a template row each time) or re-laying it out.
func TestTickUpdatesTheRowsOnly(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.rows() // lays the list out
	made := 0
	create := f.ui.list.CreateItem
	f.ui.list.CreateItem = func() fyne.CanvasObject { made++; return create() }
	// GitHub's seed is hex 48656c6c6f21deadbeef:
	// oathtool --totp -d 6 -N '1970-01-01 00:00:45 UTC' 48656c6c6f21deadbeef -> 996554
	// oathtool --totp -d 6 -N '1970-01-01 00:01:00 UTC' 48656c6c6f21deadbeef -> 602287
	f.now = time.Unix(45, 0)
	f.ui.tick()
	if got, want := onScreen(f), []string{"RFC|287 082||15", "GitHub|996 554||15"}; !slices.Equal(got, want) {
		t.Fatalf("at 45 s: %q, want %q", got, want)
	}
	f.now = time.Unix(59, 0)
	f.ui.tick()
	if got, want := onScreen(f), []string{"RFC|287 082|next 359 152|1", "GitHub|996 554|next 602 287|1"}; !slices.Equal(got, want) {
		t.Fatalf("at 59 s: %q, want %q", got, want)
	}
	f.now = time.Unix(60, 0)
	f.ui.tick()
	if got, want := onScreen(f), []string{"RFC|359 152||30", "GitHub|602 287||30"}; !slices.Equal(got, want) {
		t.Fatalf("at 60 s: %q, want %q", got, want)
	}
	if made != 0 {
		t.Fatalf("the ticks made %d rows", made)
	}
	if n := len(f.ui.rows); n != 2 {
		t.Fatalf("%d rows listed for 2 accounts", n)
	}
}
