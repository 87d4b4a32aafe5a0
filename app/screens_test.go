package app

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/scanner"
	"github.com/countersign/countersign/vault"
)

// labelsOf returns the text of every visible label under root.
func labelsOf(root fyne.CanvasObject) []string {
	var out []string
	for _, o := range test.LaidOutObjects(root) {
		switch l := o.(type) {
		case *widget.Label:
			if l.Visible() && l.Text != "" {
				out = append(out, l.Text)
			}
		case *errorLabel:
			if l.Visible() && l.Text != "" {
				out = append(out, l.Text)
			}
		}
	}
	return out
}

func accountLabels(v *vault.Vault) string {
	var s []string
	for _, a := range v.Accounts() {
		s = append(s, a.Label())
	}
	return strings.Join(s, ", ")
}

func TestManualEntryExplainsErrorsInPlace(t *testing.T) {
	f := newFixture(t, nil, Options{})
	f.ui.showAdd()
	form := f.ui.adding.form
	f.ui.adding.tabs.SelectIndex(1)

	test.Type(form.issuer, "Example")
	test.Type(form.name, "alice")
	test.Type(form.secret, "JBSW Y3DP 1HPK")
	test.Tap(form.submit)
	if got := form.errors["secret"].Text; got != "Secret key is not valid base32 (character 11: only A-Z and 2-7 are allowed)." || !form.errors["secret"].Visible() {
		t.Fatalf("secret error %q", got)
	}

	form.secret.SetText("JBSWY3DPEHPK3PXP")
	form.period.SetText("0")
	test.Tap(form.submit)
	if got := form.errors["period"].Text; got != "Period must be a whole number of seconds from 1 to 86400 (usually 30)." {
		t.Fatalf("period error %q", got)
	}
	if form.errors["secret"].Visible() {
		t.Fatal("the fixed secret still shows its error")
	}

	form.period.SetText("30")
	form.digits.SetSelected("8")
	form.algorithm.SetSelected("SHA256")
	test.Tap(form.submit)
	if f.ui.adding != nil {
		t.Fatalf("the dialog stays open; errors: %q", labelsOf(form.content))
	}
	a := f.vault.Accounts()
	if len(a) != 1 || a[0].Label() != "Example (alice)" || a[0].Digits != 8 || a[0].Algorithm != vault.SHA256 {
		t.Fatalf("added %+v", a)
	}
	if f.ui.status.Text != "Added Example (alice)." {
		t.Fatalf("status %q", f.ui.status.Text)
	}
	// The same account again (same secret, issuer and name) is a
	// duplicate, said under the form.
	f.ui.showAdd()
	form = f.ui.adding.form
	form.issuer.SetText("Example")
	form.name.SetText("alice")
	form.secret.SetText("jbswy3dpehpk3pxp")
	form.digits.SetSelected("8")
	form.algorithm.SetSelected("SHA256")
	test.Tap(form.submit)
	if got := form.general.Text; got != "already in the vault as Example (alice)" {
		t.Fatalf("duplicate message %q", got)
	}
}

func TestManualEntryHOTPAndSteam(t *testing.T) {
	f := newFixture(t, nil, Options{})
	f.ui.showAdd()
	form := f.ui.adding.form
	form.name.SetText("counter")
	form.secret.SetText("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	form.typ.SetSelectedIndex(1)
	form.counter.SetText("-3")
	test.Tap(form.submit)
	if got := form.errors["counter"].Text; got != "Counter must be a whole number, 0 or more." {
		t.Fatalf("counter error %q", got)
	}
	form.counter.SetText("1")
	test.Tap(form.submit)
	a := f.vault.Accounts()
	if len(a) != 1 || a[0].Type != vault.HOTP || a[0].Counter != 1 {
		t.Fatalf("added %+v", a)
	}
	// RFC 4226 counter 1.
	if got := f.shown(); got[0] != "counter||287 082|counter 1" {
		t.Fatalf("row %q", got)
	}

	f.ui.showAdd()
	form = f.ui.adding.form
	form.issuer.SetText("Steam")
	form.name.SetText("gabe")
	form.secret.SetText("BASE32SECRET3232")
	form.typ.SetSelectedIndex(2)
	test.Tap(form.submit)
	// Steam vector: BASE32SECRET3232 at counter 1 (30..59 s) -> YKKK4.
	f.now = time.Unix(45, 0)
	got := f.shown()
	if len(got) != 2 || got[1] != "Steam|gabe|YKKK4|" {
		t.Fatalf("rows %q", got)
	}
}

func TestScanScreenAddsEveryKindOfCode(t *testing.T) {
	texts := []string{
		githubURI,
		"otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC",
		"https://example.com/not-a-key",
		"otpauth://totp/Broken:key?secret=123",
	}
	f := newFixture(t, nil, Options{ScanScreen: func() ([]string, error) { return texts, nil }})
	f.ui.showAdd()
	result := f.ui.adding.result
	tapButton(t, topOverlay(t, f.ui), "Scan the screen")
	// GitHub's seed is JBSWY3DPEHPK3PXP, and so is the Google export's
	// account, Example (alice): accounts that only share a secret are kept
	// apart, as Google Authenticator keeps them.
	want := "Added GitHub (ada).\n" +
		"Added 1 account from Google Authenticator.\n" +
		"This QR code is not an authenticator code (it does not start with otpauth://).\n" +
		"This QR code's key is not valid: Secret key is not valid base32 (character 1: only A-Z and 2-7 are allowed)"
	f.waitFor(t, func() bool { return result.Text != "" })
	if got := result.Text; got != want {
		t.Fatalf("result:\n%s\nwant:\n%s", got, want)
	}
	if got := accountLabels(f.vault); got != "GitHub (ada), Example (alice@google.com)" {
		t.Fatalf("accounts %q", got)
	}
}

func TestScanScreenGoogleExportAndActivation(t *testing.T) {
	texts := []string{
		"otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC",
	}
	f := newFixture(t, nil, Options{ScanScreen: func() ([]string, error) { return texts, nil }})
	f.ui.showAdd()
	f.ui.adding.scanScreen()
	f.waitFor(t, func() bool { return f.ui.status.Text != "" })
	if got := f.ui.status.Text; got != "Added 1 account from Google Authenticator." {
		t.Fatalf("status %q", got)
	}
	if got := accountLabels(f.vault); got != "Example (alice@google.com)" {
		t.Fatalf("accounts %q", got)
	}
	msg, n := f.ui.addTexts([]string{"countersign://activate?v=1&url=https://x&code=abc"})
	if n != 0 || msg != "activation code: code: is too short (16 bits, at least 128)" {
		t.Fatalf("activation: %q, %d", msg, n)
	}
}

func TestScanScreenError(t *testing.T) {
	f := newFixture(t, nil, Options{ScanScreen: func() ([]string, error) { return nil, errors.New("no QR code found in the image") }})
	f.ui.showAdd()
	f.ui.adding.scanScreen()
	f.waitFor(t, func() bool { return f.ui.adding.result.Text != "" })
	if got := f.ui.adding.result.Text; got != "Could not read a QR code: no QR code found in the image" {
		t.Fatalf("result %q", got)
	}
}

// TestDropImage drops a real PNG made by qrencode on the window: the real
// scanner reads it and the account is added.
func TestDropImage(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "qr.png")
	if out, err := exec.Command("qrencode", "-o", png, gitlabURI).CombinedOutput(); err != nil {
		t.Fatalf("qrencode: %v %s (apt-get install -y qrencode)", err, out)
	}
	text := filepath.Join(dir, "notes.txt")
	f := newFixture(t, nil, Options{})
	f.ui.dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(png)})
	if got := accountLabels(f.vault); got != "GitLab (bob)" {
		t.Fatalf("accounts %q, status %q", got, f.ui.status.Text)
	}
	if got := f.ui.status.Text; got != "Added GitLab (bob)." {
		t.Fatalf("status %q", got)
	}
	f.ui.dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(text)})
	if got := f.ui.status.Text; !strings.HasPrefix(got, "Could not read a QR code: reading "+text) {
		t.Fatalf("status %q", got)
	}
}

func TestRenameMoveDelete(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI)
	github := f.vault.Accounts()[1]

	f.ui.showRename(github)
	dlg := topOverlay(t, f.ui)
	var entries []*widget.Entry
	for _, o := range test.LaidOutObjects(dlg) {
		if e, ok := o.(*widget.Entry); ok {
			entries = append(entries, e)
		}
	}
	if len(entries) != 2 || entries[0].Text != "GitHub" || entries[1].Text != "ada" {
		t.Fatalf("rename entries %v", entries)
	}
	entries[0].SetText("")
	entries[1].SetText("  ")
	tapButton(t, dlg, "Save")
	if got := labelsOf(dlg); !slices.Contains(got, "Account name is missing; give the account a name or an issuer") {
		t.Fatalf("rename error not shown in place: %q", got)
	}
	entries[0].SetText("Microsoft GitHub")
	entries[1].SetText("ada.l")
	tapButton(t, dlg, "Save")
	if got := accountLabels(f.vault); got != "RFC (sha1), Microsoft GitHub (ada.l), GitLab (bob)" {
		t.Fatalf("after rename: %q", got)
	}

	f.ui.move(github, -1)
	if got := accountLabels(f.vault); got != "Microsoft GitHub (ada.l), RFC (sha1), GitLab (bob)" {
		t.Fatalf("after move up: %q", got)
	}
	if f.ui.current != 0 {
		t.Fatalf("the moved account is not selected (%d)", f.ui.current)
	}
	f.ui.move(github, +1)
	f.ui.move(github, +1)
	f.ui.move(github, +1) // already last: stays
	if got := accountLabels(f.vault); got != "RFC (sha1), GitLab (bob), Microsoft GitHub (ada.l)" {
		t.Fatalf("after moves down: %q", got)
	}

	github, _ = f.vault.Account(github.ID)
	f.ui.confirmDelete(github)
	dlg = topOverlay(t, f.ui)
	if got := strings.Join(labelsOf(dlg), " "); !strings.Contains(got, "Delete Microsoft GitHub (ada.l)?") || !strings.Contains(got, "Without a backup") {
		t.Fatalf("confirmation says %q", got)
	}
	tapButton(t, dlg, "Keep")
	if n := len(f.vault.Accounts()); n != 3 {
		t.Fatalf("Keep deleted: %d accounts", n)
	}
	f.ui.confirmDelete(github)
	tapButton(t, topOverlay(t, f.ui), "Delete")
	if got := accountLabels(f.vault); got != "RFC (sha1), GitLab (bob)" {
		t.Fatalf("after delete: %q", got)
	}
	if got := f.ui.status.Text; got != "Deleted Microsoft GitHub (ada.l)" {
		t.Fatalf("status %q", got)
	}
	if _, err := f.vault.Key(github.ID); !errors.Is(err, vault.ErrNoAccount) {
		t.Fatalf("deleted account still readable: %v", err)
	}
}

func TestRowMenuOffersActions(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	test.Tap(f.rows()[0].menu)
	top := topOverlay(t, f.ui)
	if !slices.ContainsFunc(test.LaidOutObjects(top), func(o fyne.CanvasObject) bool { _, ok := o.(*widget.PopUpMenu); return ok }) {
		t.Fatal("the … button opened no menu")
	}
	menu := f.ui.rowMenu(f.vault.Accounts()[0])
	var texts []string
	for _, it := range menu.Items {
		texts = append(texts, it.Label)
	}
	if got := strings.Join(texts, ","); got != "Copy code,Rename…,Move up,Move down,,Delete…" {
		t.Fatalf("menu %q", got)
	}
	menu.Items[0].Action()
	if got := f.app.Clipboard().Content(); got != "287082" {
		t.Fatalf("Copy code put %q", got)
	}
}

func TestSettings(t *testing.T) {
	var changedTo string
	f := newFixture(t, nil, Options{OnVaultDirChange: func(dir string) { changedTo = dir }}, rfcURI)
	f.ui.showSettings()
	s := f.ui.settings
	if s.clipboard.Selected != "After 30 s" || s.theme.Selected != "Follow the system" || s.vaultDir.Text != f.vault.Dir() {
		t.Fatalf("initial settings %q %q %q", s.clipboard.Selected, s.theme.Selected, s.vaultDir.Text)
	}
	s.clipboard.SetSelected("After 10 s")
	if got := f.app.Preferences().Int(prefClipboardSecs); got != 10 {
		t.Fatalf("clipboard pref %d", got)
	}
	test.Tap(f.rows()[0])
	if f.ui.status.Text != "Copied RFC (sha1) — clears in 10 s" {
		t.Fatalf("status %q", f.ui.status.Text)
	}
	s.theme.SetSelected("Dark")
	if th, ok := f.app.Settings().Theme().(variantTheme); !ok || th.variant != theme.VariantDark {
		t.Fatalf("theme %#v, want forced dark", f.app.Settings().Theme())
	}
	if f.app.Preferences().String(prefTheme) != themeDark {
		t.Fatal("theme choice not saved")
	}
	s.theme.SetSelected("Light")
	if th, ok := f.app.Settings().Theme().(variantTheme); !ok || th.variant != theme.VariantLight {
		t.Fatalf("theme %#v, want forced light", f.app.Settings().Theme())
	}
	if c := f.app.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark); c != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
		t.Fatalf("forced light draws a %v background", c)
	}
	s.theme.SetSelected("Follow the system")
	if _, forced := f.app.Settings().Theme().(variantTheme); forced || f.app.Preferences().String(prefTheme) != themeSystem {
		t.Fatalf("theme %#v after choosing the system's", f.app.Settings().Theme())
	}
	s.vaultDir.SetText("/tmp/elsewhere")
	tapButton(t, topOverlay(t, f.ui), "Use this folder")
	if changedTo != "/tmp/elsewhere" || f.app.Preferences().String(PrefVaultDir) != "/tmp/elsewhere" {
		t.Fatalf("vault dir change %q", changedTo)
	}
	if !strings.Contains(s.vaultNote.Text, "opens at the next start") {
		t.Fatalf("note %q", s.vaultNote.Text)
	}
	if s.onClose != nil || s.closeNote == nil || !strings.HasPrefix(s.closeNote.Text, "Countersign quits.") {
		t.Fatal("without a tray, the settings must say that closing quits, and offer no tray")
	}

	// With a tray, keeping running there is the default; the choice is saved.
	a := &trayApp{App: test.NewTempApp(t)}
	g := newFixture(t, a, Options{}, rfcURI)
	g.ui.showSettings()
	onClose := g.ui.settings.onClose
	if onClose == nil || g.ui.settings.closeNote != nil {
		t.Fatal("with a tray, the settings must offer the choice")
	}
	if got := strings.Join(onClose.Options, "|"); got != "Quit|Keep running in the system tray" || onClose.Selected != closeToTray {
		t.Fatalf("when the window is closed: %q, selected %q", got, onClose.Selected)
	}
	onClose.SetSelected(closeQuits)
	if a.Preferences().BoolWithFallback(prefCloseToTray, true) {
		t.Fatal("choosing Quit was not saved")
	}
	a.pressClose(t)
	if a.quits != 1 {
		t.Fatalf("closing with Quit chosen: quits %d, want 1", a.quits)
	}
	onClose.SetSelected(closeToTray)
	a.pressClose(t)
	if a.quits != 1 || !a.Preferences().Bool(prefCloseToTray) || !a.win.hidden {
		t.Fatalf("closing with the tray chosen: quits %d, hidden %v; want 1, true", a.quits, a.win.hidden)
	}
}

// trayApp is the test app with a system tray, recording what is set on it.
type trayApp struct {
	fyne.App
	menu  *fyne.Menu
	quits int
	win   *interceptWindow // the last window made
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)  { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(fyne.Resource) {}
func (a *trayApp) Quit()                           { a.quits++ }

// SetSystemTrayWindow makes closing the window hide it, as Fyne's does.
func (a *trayApp) SetSystemTrayWindow(w fyne.Window) { w.SetCloseIntercept(w.Hide) }

// NewWindow makes a window whose close button the test can press.
func (a *trayApp) NewWindow(title string) fyne.Window {
	a.win = &interceptWindow{Window: a.App.NewWindow(title)}
	return a.win
}

// interceptWindow is a test window that keeps its close intercept, which
// the test driver's window keeps to itself.
type interceptWindow struct {
	fyne.Window
	intercept func()
	hidden    bool
}

func (w *interceptWindow) SetCloseIntercept(f func()) { w.intercept = f; w.Window.SetCloseIntercept(f) }
func (w *interceptWindow) Hide()                      { w.hidden = true; w.Window.Hide() }
func (w *interceptWindow) Show()                      { w.hidden = false; w.Window.Show() }

// pressClose does what the window manager's close button does.
func (a *trayApp) pressClose(t *testing.T) {
	t.Helper()
	if a.win == nil || a.win.intercept == nil {
		t.Fatal("the window has no close intercept")
	}
	a.win.intercept()
}

func TestTrayMenuAndCloseToTray(t *testing.T) {
	a := &trayApp{App: test.NewTempApp(t)}
	f := newFixture(t, a, Options{}, rfcURI, githubURI)
	var labels []string
	for _, it := range a.menu.Items {
		labels = append(labels, it.Label)
	}
	if got := strings.Join(labels, ","); got != "Show Countersign,,Copy RFC (sha1),Copy GitHub (ada),,Quit" {
		t.Fatalf("tray menu %q", got)
	}
	a.menu.Items[2].Action()
	if got := a.Clipboard().Content(); got != "287082" {
		t.Fatalf("tray copy put %q", got)
	}
	// Adding an account updates the menu.
	f.ui.addTexts([]string{gitlabURI})
	if n := len(a.menu.Items); n != 7 {
		t.Fatalf("%d tray items after adding", n)
	}
	// Closing the window keeps the app in the tray; with the setting off it quits.
	a.pressClose(t)
	if a.quits != 0 || !a.win.hidden {
		t.Fatalf("closing the window with a tray: quits %d, hidden %v; want 0, true", a.quits, a.win.hidden)
	}
	a.Preferences().SetBool(prefCloseToTray, false)
	a.pressClose(t)
	if a.quits != 1 {
		t.Fatalf("quits %d, want 1", a.quits)
	}
	// Ctrl+Q quits too.
	f.ui.start()
	f.ui.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault})
	if a.quits != 2 {
		t.Fatalf("Ctrl+Q: quits %d, want 2", a.quits)
	}
}

func TestBackupRestoreAndReminder(t *testing.T) {
	a := test.NewTempApp(t)
	f := newFixture(t, a, Options{}, rfcURI, githubURI)
	if got := f.ui.status.Text; got != "2 accounts not backed up: Settings → Back up…" {
		t.Fatalf("reminder %q", got)
	}
	path := filepath.Join(t.TempDir(), "backup.json")
	if err := f.ui.backupTo(path, []byte("long passphrase")); err != nil {
		t.Fatal(err)
	}
	if n := f.ui.notBackedUp(); n != 0 {
		t.Fatalf("%d accounts not backed up after a backup", n)
	}
	f.ui.addTexts([]string{gitlabURI})
	if n := f.ui.notBackedUp(); n != 1 {
		t.Fatalf("%d not backed up after adding one", n)
	}
	f.ui.setStatus("")
	f.ui.remindBackup()
	if got := f.ui.status.Text; got != "1 account not backed up: Settings → Back up…" {
		t.Fatalf("reminder of one account %q", got)
	}
	data, _ := os.ReadFile(path)

	// Restore into another vault that already has one of the accounts.
	g := newFixture(t, nil, Options{}, githubURI)
	if _, err := g.ui.planRestore(data, []byte("wrong")); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if n := len(g.vault.Accounts()); n != 1 {
		t.Fatalf("a failed restore changed the vault: %d accounts", n)
	}
	plan, err := g.ui.planRestore(data, []byte("long passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.describe(); got != "1 account(s) to add\n  + RFC (sha1)\n  = GitHub (ada) (already here)" {
		t.Fatalf("plan:\n%s", got)
	}
	if err := g.ui.applyRestore(plan.add(), plan); err != nil {
		t.Fatal(err)
	}
	if got := accountLabels(g.vault); got != "GitHub (ada), RFC (sha1)" {
		t.Fatalf("after restore: %q", got)
	}
	if got := g.ui.status.Text; got != "Imported 1 account(s); 1 already here." {
		t.Fatalf("status %q", got)
	}
	if got := g.shown(); len(got) != 2 {
		t.Fatalf("rows %q", got)
	}
	// The settings offer both.
	g.ui.showSettings()
	if findButton(topOverlay(t, g.ui), "Back up…") == nil || findButton(topOverlay(t, g.ui), "Import or restore…") == nil {
		t.Fatal("the settings lack Back up… or Import or restore…")
	}
}

// TestGoogleExportShowsScannableCodes shows the export QR codes and reads
// them back with the real scanner: they hold every account.
func TestGoogleExportShowsScannableCodes(t *testing.T) {
	var uris []string
	for i := range 12 {
		uris = append(uris, fmt.Sprintf("otpauth://totp/Issuer%d:user?secret=%s", i, vault.EncodeSecret([]byte(fmt.Sprintf("secret-number-%02d", i)))))
	}
	f := newFixture(t, nil, Options{}, uris...)
	f.ui.chooseGoogleExport()
	tapButton(t, topOverlay(t, f.ui), "Next: 12 account(s)")
	g := f.ui.googleExport
	if g == nil || len(g.uris) != 2 || g.label.Text != "QR code 1 of 2" {
		t.Fatalf("export screen %+v", g)
	}
	var texts []string
	for i := range 2 {
		g.show(i)
		found, err := scanner.Decode(g.image.Image)
		if err != nil {
			t.Fatalf("QR code %d: %v", i+1, err)
		}
		texts = append(texts, found...)
	}
	if g.label.Text != "QR code 2 of 2" {
		t.Fatalf("label %q", g.label.Text)
	}
	var n int
	for _, text := range texts {
		m, err := vault.ParseMigrationURI(text)
		if err != nil {
			t.Fatal(err)
		}
		n += len(m.Keys)
	}
	if n != 12 {
		t.Fatalf("the codes hold %d accounts, want 12", n)
	}
}
