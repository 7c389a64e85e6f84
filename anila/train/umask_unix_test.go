//go:build unix

package train

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSavedFilesHonourTheUmask: a saved model gets mode 0666 &^ umask, as os.Create would
// give it, not the 0600 of a temporary file.
func TestSavedFilesHonourTheUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	tr := newTrainer(t, smallConfig())
	dir := t.TempDir()
	for _, c := range []struct {
		umask int
		want  os.FileMode
	}{{0o022, 0o644}, {0o077, 0o600}, {0o002, 0o664}, {0o022, 0o644}} {
		syscall.Umask(c.umask)
		if got := processUmask(); got != os.FileMode(c.umask) {
			t.Errorf("umask %03o read as %03o", c.umask, got)
		}
		path := filepath.Join(dir, "m.anila") // the second save replaces the first file
		if err := tr.Save(path); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.want {
			t.Errorf("umask %03o: saved file has mode %03o, want %03o", c.umask, got, c.want)
		}
	}
}
