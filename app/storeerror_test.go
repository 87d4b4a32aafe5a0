package app

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestStoreProblemOffersANewEncryptedFile(t *testing.T) {
	a := test.NewTempApp(t)
	var got string
	opened := false
	s := newStoreWindow(a, StoreProblem{Dir: "/home/ada/.config/countersign", NoKeyring: true,
		Detail:   "The name org.freedesktop.secrets was not provided by any .service files",
		OpenFile: func(p []byte) error { got = string(p); return nil },
		OnOpened: func() { opened = true }})
	s.win.Show()
	defer s.win.Close()
	body := strings.Join(labelsOf(s.win.Content()), " ")
	for _, want := range []string{"No keyring (Secret Service) is running on this desktop", "gnome-keyring, KWallet, KeePassXC", "encrypted file in the vault folder"} {
		if !strings.Contains(strings.ReplaceAll(body, "no keyring", "No keyring"), want) {
			t.Errorf("the window does not say %q: %s", want, body)
		}
	}
	assertWraps(t, s.win.Content(), "Install and unlock one")
	capture(t, s.win, "store-nokeyring")
	test.Tap(s.useFile)
	d := topOverlay2(t, s.win)
	test.Type(s.pass, "correct horse")
	test.Type(s.again, "correct hose")
	s.again.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !s.problem.Visible() || s.problem.Text != "The two passphrases differ." || opened {
		t.Fatalf("different passphrases: %q, opened %v", s.problem.Text, opened)
	}
	capture(t, s.win, "store-new-differ")
	s.again.SetText("correct horse")
	if s.problem.Visible() {
		t.Fatal("the error stays once the passphrase is retyped")
	}
	tapButton(t, d, "Create")
	if !opened || got != "correct horse" || s.win.Canvas().Overlays().Top() != nil {
		t.Fatalf("opened %v with %q", opened, got)
	}
}

func TestStoreProblemWrongPassphraseStays(t *testing.T) {
	a := test.NewTempApp(t)
	opened := false
	s := newStoreWindow(a, StoreProblem{Dir: "/v", FileExists: true,
		OpenFile: func(p []byte) error {
			if string(p) != "right one" {
				return errors.New("wrong passphrase for /v/secrets.cs")
			}
			return nil
		},
		OnOpened: func() { opened = true }})
	s.win.Show()
	defer s.win.Close()
	s.askPassphrase()
	d := topOverlay2(t, s.win)
	if findEntryCount(d) != 1 {
		t.Fatalf("an existing file asks the passphrase %d times", findEntryCount(d))
	}
	test.Type(s.pass, "wrong one")
	tapButton(t, d, "Open")
	if opened || s.win.Canvas().Overlays().Top() != d || s.problem.Text != "wrong passphrase for /v/secrets.cs" {
		t.Fatalf("wrong passphrase: opened %v, error %q", opened, s.problem.Text)
	}
	capture(t, s.win, "store-wrong")
	test.Type(s.pass, "right one")
	s.pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !opened {
		t.Fatal("the right passphrase did not open")
	}
}

func topOverlay2(t *testing.T, w fyne.Window) fyne.CanvasObject {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	return top
}

func findEntryCount(root fyne.CanvasObject) int {
	n := 0
	for _, o := range test.LaidOutObjects(root) {
		if _, ok := o.(*widget.Entry); ok && o.Visible() {
			n++
		}
	}
	return n
}
