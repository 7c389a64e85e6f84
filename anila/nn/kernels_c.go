//go:build cblas

package nn

/*
#cgo CFLAGS: -O3
void anila_silu_f32(const float *x, float *y, long n);
void anila_silu_back_f32(const float *x, const float *y, const float *dy, float *dx, long n);
void anila_tanh_f32(const float *x, float *y, long n);
void anila_leaky_f32(const float *x, float *y, long n, float slope);
void anila_leaky_back_f32(const float *x, const float *dy, float *dx, long n, float slope);
*/
import "C"

import "unsafe"

func fp(s []float32) *C.float { return (*C.float)(unsafe.Pointer(&s[0])) }

// With the cblas build tag, float32 activations run in C kernels that gcc vectorises
// (AVX2 where the processor has it); they compute what the Go loops compute, to float32
// rounding.
func init() {
	activationKernels32 = func(kind ActivationKind, slope float32, x, y, dy, dx []float32, backward bool) bool {
		n := C.long(len(x))
		if n == 0 {
			return true
		}
		switch {
		case kind == SiLU && !backward:
			C.anila_silu_f32(fp(x), fp(y), n)
		case kind == SiLU && backward:
			C.anila_silu_back_f32(fp(x), fp(y), fp(dy), fp(dx), n)
		case kind == Tanh && !backward:
			C.anila_tanh_f32(fp(x), fp(y), n)
		case kind == LeakyReLU && !backward:
			C.anila_leaky_f32(fp(x), fp(y), n, C.float(slope))
		case kind == LeakyReLU && backward:
			C.anila_leaky_back_f32(fp(x), fp(dy), fp(dx), n, C.float(slope))
		default:
			return false
		}
		return true
	}
}
