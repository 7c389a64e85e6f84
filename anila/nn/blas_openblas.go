//go:build cblas

package nn

/*
#cgo LDFLAGS: -lscipy_openblas
#include <cblas.h>

// The OpenBLAS version string begins "OpenBLAS 0.3.x ..." (scipy_openblas_get_config).
static const char *anila_openblas_config(void) { return scipy_openblas_get_config(); }
*/
import "C"

import (
	"strings"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// With the cblas build tag, matrix products go to the OpenBLAS of the PyPI package
// scipy-openblas32 (libscipy_openblas, symbols prefixed scipy_), which picks its kernels for
// the processor at run time. The build takes the include and library flags from that package
// (setup.py, Makefile). Only Sgemm and Dgemm, the routines anila's nets call, go to OpenBLAS;
// every other BLAS routine stays gonum's pure Go one.
//
// OpenBLAS runs single-threaded: anila spreads work over the cores by chains itself, which
// keeps results independent of the thread count. OPENBLAS_CORETYPE, read when the library
// loads, overrides OpenBLAS's choice of kernels.
func init() {
	C.scipy_openblas_set_num_threads(1)
	blas32.Use(openBLAS{})
	blas64.Use(openBLAS{})
	config := C.GoString(C.anila_openblas_config())
	version := "OpenBLAS"
	if f := strings.Fields(config); len(f) >= 2 && f[0] == "OpenBLAS" {
		version = "OpenBLAS " + f[1]
	}
	BLASName = version + " (scipy-openblas32, " + C.GoString(C.scipy_openblas_get_corename()) + " kernels)"
}

// openBLAS is gonum's pure Go BLAS with Sgemm and Dgemm sent to OpenBLAS.
type openBLAS struct{ gonum.Implementation }

// cblasTrans is the CBLAS_TRANSPOSE value (an enum, uint32 in cgo) of a gonum transpose flag.
func cblasTrans(t blas.Transpose) uint32 {
	if t == blas.NoTrans {
		return C.CblasNoTrans
	}
	return C.CblasTrans
}

// checkGemm panics, as gonum does, when the sizes do not fit the slices; it reports whether
// there is any work to do.
func checkGemm(tA, tB blas.Transpose, m, n, k, lda, ldb, ldc, lenA, lenB, lenC int, noop bool) bool {
	for _, t := range []blas.Transpose{tA, tB} {
		if t != blas.NoTrans && t != blas.Trans && t != blas.ConjTrans {
			panic("blas: illegal transpose")
		}
	}
	if m < 0 || n < 0 || k < 0 {
		panic("blas: negative matrix dimension")
	}
	rowA, colA := m, k
	if tA != blas.NoTrans {
		rowA, colA = k, m
	}
	rowB, colB := k, n
	if tB != blas.NoTrans {
		rowB, colB = n, k
	}
	if lda < max(1, colA) || ldb < max(1, colB) || ldc < max(1, n) {
		panic("blas: bad leading dimension")
	}
	if m == 0 || n == 0 {
		return false
	}
	if (rowA > 0 && lenA < lda*(rowA-1)+colA) || (rowB > 0 && lenB < ldb*(rowB-1)+colB) || lenC < ldc*(m-1)+n {
		panic("blas: insufficient matrix slice length")
	}
	return !noop
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices in OpenBLAS.
func (openBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !checkGemm(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c), (alpha == 0 || k == 0) && beta == 1) {
		return
	}
	var pa, pb *C.float
	if k > 0 {
		pa, pb = (*C.float)(unsafe.Pointer(&a[0])), (*C.float)(unsafe.Pointer(&b[0]))
	}
	C.scipy_cblas_sgemm(C.CblasRowMajor, cblasTrans(tA), cblasTrans(tB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), pa, C.blasint(lda), pb, C.blasint(ldb), C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float64 matrices in OpenBLAS.
func (openBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !checkGemm(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c), (alpha == 0 || k == 0) && beta == 1) {
		return
	}
	var pa, pb *C.double
	if k > 0 {
		pa, pb = (*C.double)(unsafe.Pointer(&a[0])), (*C.double)(unsafe.Pointer(&b[0]))
	}
	C.scipy_cblas_dgemm(C.CblasRowMajor, cblasTrans(tA), cblasTrans(tB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.double(alpha), pa, C.blasint(lda), pb, C.blasint(ldb), C.double(beta), (*C.double)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
