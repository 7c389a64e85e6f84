//go:build cblas

package nn

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// With the cblas build tag, matrix products go to OpenBLAS through gonum's netlib binding.
// OpenBLAS runs single-threaded: anila spreads work over the cores by chains itself, which
// keeps results independent of the thread count. BLASName names the kernel family OpenBLAS
// chose for this processor; OPENBLAS_CORETYPE, read when the library loads, overrides its
// choice (the Python package sets it to SkylakeX on AVX-512 machines, see python/anila/_lib.py).
func init() {
	C.openblas_set_num_threads(1)
	blas32.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
	BLASName = "OpenBLAS (gonum netlib binding, " + C.GoString(C.openblas_get_corename()) + " kernels)"
}
