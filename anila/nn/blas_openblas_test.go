//go:build cblas

package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestOpenBLASGemmMatchesGonum compares the OpenBLAS binding with gonum's pure Go Gemm on
// every transpose combination, padded leading dimensions and beta ≠ 0, at float32 and float64.
func TestOpenBLASGemmMatchesGonum(t *testing.T) {
	if !strings.HasPrefix(BLASName, "OpenBLAS 0.3.") || !strings.Contains(BLASName, "kernels") {
		t.Fatalf("BLASName = %q, want the OpenBLAS version and its kernels", BLASName)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var ref gonum.Implementation
	var ob openBLAS
	for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, sz := range [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 65, 17}, {128, 256, 130}, {3, 4, 0}} {
				m, n, k := sz[0], sz[1], sz[2]
				rowA, colA := m, k
				if tA == blas.Trans {
					rowA, colA = k, m
				}
				rowB, colB := k, n
				if tB == blas.Trans {
					rowB, colB = n, k
				}
				lda, ldb, ldc := colA+2, colB+1, n+3
				a := make([]float64, max(1, rowA)*lda)
				b := make([]float64, max(1, rowB)*ldb)
				c := make([]float64, m*ldc)
				for _, s := range [][]float64{a, b, c} {
					for i := range s {
						s[i] = rng.NormFloat64()
					}
				}
				want := append([]float64(nil), c...)
				got := append([]float64(nil), c...)
				ref.Dgemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, -0.4, want, ldc)
				ob.Dgemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, -0.4, got, ldc)
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i]))*float64(k+1) {
						t.Fatalf("Dgemm %v%v %v: c[%d] = %v, gonum %v", tA, tB, sz, i, got[i], want[i])
					}
				}
				a32, b32 := f32copy(a), f32copy(b)
				want32, got32 := f32copy(c), f32copy(c)
				ref.Sgemm(tA, tB, m, n, k, 0.7, a32, lda, b32, ldb, -0.4, want32, ldc)
				ob.Sgemm(tA, tB, m, n, k, 0.7, a32, lda, b32, ldb, -0.4, got32, ldc)
				for i := range want32 {
					if d := math.Abs(float64(got32[i] - want32[i])); d > 1e-5*(1+math.Abs(float64(want32[i])))*float64(k+1) {
						t.Fatalf("Sgemm %v%v %v: c[%d] = %v, gonum %v", tA, tB, sz, i, got32[i], want32[i])
					}
				}
			}
		}
	}
}

// TestOpenBLASGemmChecksSizes: slices too short for the stated sizes panic before C is called.
func TestOpenBLASGemmChecksSizes(t *testing.T) {
	var ob openBLAS
	for name, call := range map[string]func(){
		"short A": func() {
			ob.Sgemm(blas.NoTrans, blas.NoTrans, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
		},
		"short C": func() {
			ob.Dgemm(blas.NoTrans, blas.NoTrans, 4, 4, 4, 1, make([]float64, 16), 4, make([]float64, 16), 4, 0, make([]float64, 15), 4)
		},
		"bad lda": func() {
			ob.Dgemm(blas.NoTrans, blas.NoTrans, 4, 4, 4, 1, make([]float64, 16), 3, make([]float64, 16), 4, 0, make([]float64, 16), 4)
		},
		"negative": func() { ob.Sgemm(blas.NoTrans, blas.NoTrans, -1, 4, 4, 1, nil, 4, nil, 4, 0, nil, 4) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			call()
		}()
	}
}

func f32copy(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}
