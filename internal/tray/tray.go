// Package tray tells whether the desktop shows a system tray, where Fyne's
// tray icon (fyne.io/systray) can appear. Fyne gives no answer: on Linux
// and the BSDs its icon is a StatusNotifierItem, registered with the
// org.kde.StatusNotifierWatcher of the D-Bus session, and when there is no
// watcher (stock GNOME, a bare X server) it only logs "failed to register"
// and the icon never shows. Windows always has a notification area and
// macOS a menu bar.
package tray

// The StatusNotifierWatcher on the session bus, and the property that says
// whether a host (a panel that draws the icons) is registered with it.
const (
	WatcherName = "org.kde.StatusNotifierWatcher"
	WatcherPath = "/StatusNotifierWatcher"
	HostProp    = "IsStatusNotifierHostRegistered"
)

// Available tells whether a system tray shows the app's icon now. It is
// quick (one D-Bus round trip, at most a second) and may be asked again:
// a tray can come or go while the app runs, and Fyne registers its icon
// again when a watcher appears.
func Available() bool { return available() }

// Watch calls present once a StatusNotifierWatcher is there, where Fyne's
// tray icon registers: before it returns if one is there now, else from
// another goroutine when one appears (on Windows and macOS, at once; where
// there is no tray, never). It follows the session bus's NameOwnerChanged
// signal for the watcher's name only, so waiting costs no polling. stop
// ends the watch; it is never nil. err says why there can be no watch (no
// session bus): present is then never called.
func Watch(present func()) (stop func(), err error) { return watch(present) }
