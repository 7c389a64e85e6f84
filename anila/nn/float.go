package nn

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// Float is the element type of nets, samplers and trainers: float32 or float64.
type Float interface {
	~float32 | ~float64
}

// Is64 reports whether T is a 64-bit float.
func Is64[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 8
}

func f32s[T Float](s []T) []float32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&s[0])), len(s))
}

func f64s[T Float](s []T) []float64 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&s[0])), len(s))
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, op(A) m×k, op(B) k×n,
// through the BLAS in use (gonum's pure Go one, or OpenBLAS with the cblas build tag).
func Gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if Is64[T]() {
		blas64.Implementation().Dgemm(trans(tA), trans(tB), m, n, k, float64(alpha), f64s(a), lda, f64s(b), ldb, float64(beta), f64s(c), ldc)
		return
	}
	blas32.Implementation().Sgemm(trans(tA), trans(tB), m, n, k, float32(alpha), f32s(a), lda, f32s(b), ldb, float32(beta), f32s(c), ldc)
}

const pureGoBLAS = "gonum (pure Go)"

// BLASName names the BLAS implementation in use.
var BLASName = pureGoBLAS

// PureGo reports whether matrix products use gonum's pure Go BLAS (no cblas build tag).
func PureGo() bool { return BLASName == pureGoBLAS }
