package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/vault"
)

// installShortcuts sets the window's keys: Ctrl+N adds, Ctrl+Q quits,
// Ctrl+F searches, Ctrl+C copies the selected code, Ctrl+V adds a pasted
// otpauth URI; typing anywhere searches; arrows and Enter act on the list.
func (u *UI) installShortcuts() {
	c := u.win.Canvas()
	u.shortcuts = map[string]func(){}
	for key, action := range map[fyne.KeyName]func(){
		fyne.KeyN: u.showAdd,
		fyne.KeyQ: u.quit,
		fyne.KeyF: func() { c.Focus(u.search) },
		// Ctrl+Up and Ctrl+Down move the selected account in the order.
		fyne.KeyUp:   func() { u.moveCurrent(-1) },
		fyne.KeyDown: func() { u.moveCurrent(+1) },
	} {
		s := &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
		u.shortcuts[s.ShortcutName()] = action
		c.AddShortcut(s, func(fyne.Shortcut) { action() })
	}
	c.AddShortcut(&fyne.ShortcutCopy{}, func(fyne.Shortcut) { u.copyCurrent() })
	c.AddShortcut(&fyne.ShortcutPaste{}, func(fyne.Shortcut) { u.paste() })
	// With nothing focused, typing searches and the list keys work; while
	// a request is shown, digits go to its number field instead.
	c.SetOnTypedRune(u.typeToSearch)
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		if u.push.dialog != nil {
			u.keyToRequest(e.Name)
			return
		}
		u.navigate(e.Name)
	})
}

// typeToSearch sends a typed character to the search field and focuses it;
// while a request is shown, to the request (typeToRequest).
func (u *UI) typeToSearch(r rune) {
	if u.push.dialog != nil {
		u.typeToRequest(r)
		return
	}
	u.win.Canvas().Focus(u.search)
	u.search.TypedRune(r)
}

// navigate handles the list keys; it reports whether it used the key.
func (u *UI) navigate(key fyne.KeyName) bool {
	switch key {
	case fyne.KeyDown:
		u.selectRow(u.current + 1)
	case fyne.KeyUp:
		u.selectRow(u.current - 1)
	case fyne.KeyReturn, fyne.KeyEnter:
		u.copyCurrent()
	case fyne.KeyF2:
		if a, ok := u.currentAccount(); ok {
			u.showRename(a)
		}
	case fyne.KeyDelete:
		if a, ok := u.currentAccount(); ok {
			u.confirmDelete(a)
		}
	case fyne.KeyEscape:
		if u.search.Text == "" {
			return false
		}
		u.search.SetText("")
	default:
		return false
	}
	return true
}

// currentAccount is the selected account, if any.
func (u *UI) currentAccount() (vault.Account, bool) {
	if u.current >= 0 && u.current < len(u.shown) {
		return u.shown[u.current], true
	}
	return vault.Account{}, false
}

// moveCurrent moves the selected account one place up (-1) or down (+1).
func (u *UI) moveCurrent(by int) {
	if a, ok := u.currentAccount(); ok {
		u.move(a, by)
	}
}

// windowShortcut runs the window's own shortcut s, if it is one, and
// reports whether it did. A focused widget that takes shortcuts (the
// search field) receives them instead of the window, so it passes the
// window's on.
func (u *UI) windowShortcut(s fyne.Shortcut) bool {
	if action, ok := u.shortcuts[s.ShortcutName()]; ok {
		action()
		return true
	}
	return false
}

// searchEntry is the search field: typing filters the list; arrows, Enter
// and Ctrl+C (with no text selected) act on the list; the window's
// shortcuts keep working while it has the focus.
type searchEntry struct {
	widget.Entry
	ui *UI
	// noMatch says, in place of the list, that nothing matches the search.
	noMatch *widget.Label
}

func newSearchEntry(u *UI) *searchEntry {
	e := &searchEntry{ui: u}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder("Search (type anywhere)")
	e.OnChanged = func(string) { u.filter() }
	e.noMatch = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	e.noMatch.Wrapping = fyne.TextWrapWord
	e.noMatch.Hide()
	return e
}

// showMatches says so when the search matches none of the vault's accounts.
func (e *searchEntry) showMatches(matches, accounts int) {
	if matches > 0 || accounts == 0 || strings.TrimSpace(e.Text) == "" {
		e.noMatch.Hide()
		return
	}
	e.noMatch.SetText("No account matches '" + e.Text + "'. Esc clears the search.")
	e.noMatch.Show()
}

// TypedKey passes list keys to the list and the rest to the entry.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	// Delete edits the text typed; it deletes the selected account only
	// when there is none.
	if k.Name == fyne.KeyDelete && e.Text != "" {
		e.Entry.TypedKey(k)
		return
	}
	if e.ui.navigate(k.Name) {
		return
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut copies the selected code on Ctrl+C unless text is
// selected, adds a pasted otpauth URI instead of searching for it, and
// runs the window's shortcuts (Ctrl+N, Ctrl+Q, Ctrl+F).
func (e *searchEntry) TypedShortcut(s fyne.Shortcut) {
	switch s.(type) {
	case *fyne.ShortcutCopy:
		if e.SelectedText() == "" {
			e.ui.copyCurrent()
			return
		}
	case *fyne.ShortcutPaste:
		if authenticator.IsAccountURI(e.ui.app.Clipboard().Content()) {
			e.ui.paste()
			return
		}
	}
	if e.ui.windowShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// accountList is the list of accounts. When it has the keyboard focus
// (Tab), typing goes to the search field, Up and Down move the selection,
// and Enter or Space copy the selected code; Ctrl+C reaches the window.
type accountList struct {
	widget.List
	ui *UI
}

// TypedRune sends the character to the search field.
func (l *accountList) TypedRune(r rune) { l.ui.typeToSearch(r) }

// TypedKey moves the selection or copies.
func (l *accountList) TypedKey(e *fyne.KeyEvent) {
	switch {
	case e.Name == fyne.KeySpace:
		l.ui.copyCurrent()
	case l.ui.navigate(e.Name):
	default:
		l.List.TypedKey(e)
	}
}

// FocusGained draws no focus box of its own: the selected row is where
// the keys act, and it is already highlighted.
func (l *accountList) FocusGained() {}

// FocusLost mirrors FocusGained.
func (l *accountList) FocusLost() {}
