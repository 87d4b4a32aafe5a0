package fynequit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	fyneapp "fyne.io/fyne/v2/app"
)

// TestTakeStopHook checks the work-around for Fyne's quit race (fynequit.go)
// on a real Fyne desktop app with its preferences in a temporary config
// directory: once the hook is taken, Fyne has no stopped callback to queue
// at quit (the race needs one), and the hook taken still does Fyne's job:
// a preference changed right after another, which Fyne would write only
// later, is on disk once it ran.
func TestTakeStopHook(t *testing.T) {
	// Not t.TempDir: Fyne's preference and settings watchers may still
	// touch the directory as the test ends, which fails its removal.
	config, err := os.MkdirTemp("", "countersign-quit-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(config) })
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("HOME", config)
	const id = "dev.countersign.quit-test"
	a := fyneapp.NewWithID(id)
	lc, ok := a.Lifecycle().(interface{ OnStopped() func() })
	if !ok {
		t.Fatal("Fyne's lifecycle has no OnStopped method")
	}
	if lc.OnStopped() == nil {
		t.Fatal("before TakeStopHook Fyne has no stopped callback: the race this works around cannot happen, so this package is not needed any more")
	}

	save := TakeStopHook(a)
	if save == nil {
		t.Fatal("TakeStopHook returned no hook: Fyne's lifecycle changed; see fynequit.go")
	}
	if lc.OnStopped() != nil {
		t.Fatal("after TakeStopHook Fyne still has a stopped callback to queue at quit")
	}

	// The first change is saved at once; the second, within 100 ms of
	// that save, waits for a goroutine that needs Fyne's main loop.
	a.Preferences().SetString("first", "one")
	a.Preferences().SetString("second", "two")
	save()

	data, err := os.ReadFile(filepath.Join(config, "fyne", id, "preferences.json"))
	if err != nil {
		t.Fatalf("reading the saved preferences: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("the saved preferences are not JSON: %v\n%s", err, data)
	}
	if got["first"] != "one" || got["second"] != "two" {
		t.Errorf("saved preferences = %v, want first=one and second=two", got)
	}
}
