//go:build !unix

package train

import "os"

// createMode reports that the platform has no umask to apply (WriteAtomic leaves the
// temporary file's mode).
func createMode() (os.FileMode, bool) { return 0, false }
