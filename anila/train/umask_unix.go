//go:build unix

package train

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// umaskMu serialises the fallback's set-and-restore of the umask within this package.
var umaskMu sync.Mutex

// processUmask is the process's file mode creation mask. On Linux it reads the "Umask:"
// line of /proc/self/status, which leaves the mask alone; elsewhere (or on kernels before
// 4.7) it sets the mask and restores it at once, which a file created by another thread in
// between would see.
func processUmask() os.FileMode {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range bytes.Split(b, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("Umask:")); ok {
				if m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32); err == nil {
					return os.FileMode(m) & os.ModePerm
				}
			}
		}
	}
	umaskMu.Lock()
	defer umaskMu.Unlock()
	m := syscall.Umask(0o022)
	syscall.Umask(m)
	return os.FileMode(m) & os.ModePerm
}

// createMode is the mode os.Create gives a new file: 0666 less the umask.
func createMode() (os.FileMode, bool) { return 0o666 &^ processUmask(), true }
