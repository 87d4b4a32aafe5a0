package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func labels(f *fixture) []string {
	var out []string
	for _, a := range f.ui.shown {
		out = append(out, a.Label())
	}
	return out
}

func TestNoMatchAndEscClearsTheSearch(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI)
	c := f.ui.win.Canvas()
	test.TypeOnCanvas(c, "zzz")
	if len(f.ui.shown) != 0 || !f.ui.search.noMatch.Visible() || f.ui.search.noMatch.Text != "No account matches 'zzz'. Esc clears the search." {
		t.Fatalf("shown %v, note %v %q", labels(f), f.ui.search.noMatch.Visible(), f.ui.search.noMatch.Text)
	}
	capture(t, f.ui.win, "nomatch")
	pressKey(c, fyne.KeyEscape)
	if f.ui.search.Text != "" || len(f.ui.shown) != 3 || f.ui.search.noMatch.Visible() {
		t.Fatalf("after Esc: search %q, shown %v, note shown %v", f.ui.search.Text, labels(f), f.ui.search.noMatch.Visible())
	}
	// With nothing focused, Esc clears it too.
	test.TypeOnCanvas(c, "git")
	c.Unfocus()
	pressKey(c, fyne.KeyEscape)
	if f.ui.search.Text != "" || len(f.ui.shown) != 3 {
		t.Fatalf("Esc unfocused: search %q, shown %v", f.ui.search.Text, labels(f))
	}
}

func TestEnterAddsAndErrorsGoOnceFixed(t *testing.T) {
	var uris []string
	for i := range 30 {
		uris = append(uris, fmt.Sprintf("otpauth://totp/Acme:user%02d?secret=JBSWY3DPEHPK3PXP", i))
	}
	f := newFixture(t, nil, Options{}, uris...)
	test.TypeOnCanvas(f.ui.win.Canvas(), "user0") // hides the new account unless cleared
	f.ui.showAdd()
	form := f.ui.adding.form
	test.Type(form.name, "zoe@example.com")
	test.Type(form.secret, "not base32!")
	form.secret.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if l := form.errors["secret"]; !l.Visible() {
		t.Fatal("Enter with a bad secret shows no error")
	}
	capture(t, f.ui.win, "add-error")
	form.secret.SetText("JBSW!")
	if l := form.errors["secret"]; !l.Visible() {
		t.Fatal("the error went while the secret is still wrong")
	}
	form.secret.SetText("JBSWY3DPEHPK3PXQ")
	if l := form.errors["secret"]; l.Visible() {
		t.Fatalf("the error stays once the secret is fixed: %q", l.Text)
	}
	form.name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if f.ui.adding != nil || len(f.ui.vault.Accounts()) != 31 {
		t.Fatalf("Enter did not add: %d accounts, dialog open %v", len(f.ui.vault.Accounts()), f.ui.adding != nil)
	}
	// The new account, last of 31, is selected and scrolled to.
	if f.ui.search.Text != "" || f.ui.current != 30 || f.ui.shown[30].Name != "zoe@example.com" {
		t.Fatalf("search %q, selection %d", f.ui.search.Text, f.ui.current)
	}
	rows := f.rows()
	if len(rows) == 0 || rows[len(rows)-1].index != 30 {
		t.Fatalf("the new account's row is not on screen (%d rows)", len(rows))
	}
	capture(t, f.ui.win, "added")
}

func TestRenameDeleteMoveFromTheKeyboard(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI)
	c := f.ui.win.Canvas()
	focusList(t, f)
	pressKey(c, fyne.KeyDown) // GitHub

	// Ctrl+Down, Ctrl+Up move the selected account; it stays selected.
	pressShortcut(c, ctrl(fyne.KeyDown))
	if got := fmt.Sprint(labels(f)); got != "[RFC (sha1) GitLab (bob) GitHub (ada)]" || f.ui.current != 2 {
		t.Fatalf("after Ctrl+Down: %s, selection %d", got, f.ui.current)
	}
	pressShortcut(c, ctrl(fyne.KeyUp))
	if got := fmt.Sprint(labels(f)); got != "[RFC (sha1) GitHub (ada) GitLab (bob)]" || f.ui.current != 1 {
		t.Fatalf("after Ctrl+Up: %s, selection %d", got, f.ui.current)
	}

	// F2 renames; a bad name is explained and the explanation goes once
	// the name is changed; Enter saves.
	pressKey(c, fyne.KeyF2)
	d := topOverlay(t, f.ui)
	name, ok := c.Focused().(*widget.Entry)
	if !ok || name.Text != "ada" {
		t.Fatalf("F2: focus on %T", c.Focused())
	}
	var issuer *widget.Entry
	for _, o := range test.LaidOutObjects(d) {
		if e, ok := o.(*widget.Entry); ok && e.Text == "GitHub" {
			issuer = e
		}
	}
	issuer.SetText("")
	name.SetText("")
	name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	problem := labelsOf(d)
	if len(problem) == 0 || topOverlay(t, f.ui) != d {
		t.Fatal("an empty name was saved")
	}
	test.Type(name, "grace")
	for _, o := range test.LaidOutObjects(d) {
		if l, ok := o.(*errorLabel); ok && l.Visible() {
			t.Fatalf("the error %q stays once the name is changed", l.Text)
		}
	}
	name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if f.ui.shown[1].Label() != "grace" || c.Overlays().Top() != nil {
		t.Fatalf("after Enter: %v", labels(f))
	}

	// Delete asks, in red, before deleting.
	focusList(t, f)
	pressKey(c, fyne.KeyDelete)
	confirm := topOverlay(t, f.ui)
	if b := findButton(confirm, "Delete"); b == nil || b.Importance != widget.DangerImportance {
		t.Fatal("Delete shows no red Delete button")
	}
	labelWith(t, confirm, "Delete grace?")
	tapButton(t, confirm, "Delete")
	if got := fmt.Sprint(labels(f)); got != "[RFC (sha1) GitLab (bob)]" {
		t.Fatalf("after Delete: %s", got)
	}

	// In the search field, Delete edits the text.
	test.TypeOnCanvas(c, "gi")
	pressKey(c, fyne.KeyLeft)
	pressKey(c, fyne.KeyDelete)
	if f.ui.search.Text != "g" || c.Overlays().Top() != nil {
		t.Fatalf("Delete in the search: %q, dialog %v", f.ui.search.Text, c.Overlays().Top())
	}
}

func TestPastedLinkIsClearedFromTheClipboard(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	c := f.ui.win.Canvas()
	f.app.Clipboard().SetContent(githubURI + "\n")
	pressShortcut(c, &fyne.ShortcutPaste{Clipboard: f.app.Clipboard()})
	if len(f.ui.vault.Accounts()) != 2 || f.app.Clipboard().Content() != "" {
		t.Fatalf("%d accounts, clipboard %q", len(f.ui.vault.Accounts()), f.app.Clipboard().Content())
	}
	if f.ui.current != 1 {
		t.Fatalf("the pasted account is not selected (%d)", f.ui.current)
	}
	// A link that adds nothing (already here) stays.
	f.app.Clipboard().SetContent(githubURI)
	pressShortcut(c, &fyne.ShortcutPaste{Clipboard: f.app.Clipboard()})
	if f.app.Clipboard().Content() != githubURI {
		t.Fatalf("clipboard %q after a duplicate", f.app.Clipboard().Content())
	}
	// Only the link it still holds is cleared.
	cb := f.app.Clipboard()
	cb.SetContent("something else")
	forgetPasted(cb, gitlabURI, 1)
	if cb.Content() != "something else" {
		t.Fatalf("clipboard %q", cb.Content())
	}
}
