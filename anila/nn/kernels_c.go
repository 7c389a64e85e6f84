//go:build cblas

package nn

/*
#cgo CFLAGS: -O3 -fno-fast-math
const char *anila_kernels_isa(void);
int anila_kernels_set_isa(int level);
void anila_silu_f64(const double *x, double *y, long n);
void anila_silu_back_f64(const double *x, const double *y, const double *dy, double *dx, long n);
void anila_tanh_f64(const double *x, double *y, long n);
void anila_tanh_back_f32(const float *y, const float *dy, float *dx, long n);
void anila_tanh_back_f64(const double *y, const double *dy, double *dx, long n);
void anila_elu_f32(const float *x, float *y, long n, float alpha);
void anila_elu_f64(const double *x, double *y, long n, double alpha);
void anila_elu_back_f32(const float *x, const float *y, const float *dy, float *dx, long n, float alpha);
void anila_elu_back_f64(const double *x, const double *y, const double *dy, double *dx, long n, double alpha);
void anila_softplus_f32(const float *x, float *y, long n);
void anila_softplus_f64(const double *x, double *y, long n);
void anila_softplus_back_f32(const float *x, const float *dy, float *dx, long n);
void anila_softplus_back_f64(const double *x, const double *dy, double *dx, long n);
void anila_gelu_f32(const float *x, float *y, long n);
void anila_gelu_f64(const double *x, double *y, long n);
void anila_gelu_back_f32(const float *x, const float *dy, float *dx, long n);
void anila_gelu_back_f64(const double *x, const double *dy, double *dx, long n);
void anila_silu_f32(const float *x, float *y, long n);
void anila_silu_back_f32(const float *x, const float *y, const float *dy, float *dx, long n);
void anila_tanh_f32(const float *x, float *y, long n);
void anila_leaky_f32(const float *x, float *y, long n, float slope);
void anila_leaky_back_f32(const float *x, const float *dy, float *dx, long n, float slope);
void anila_leaky_f64(const double *x, double *y, long n, double slope);
void anila_leaky_back_f64(const double *x, const double *dy, double *dx, long n, double slope);
void anila_im2col_f32(const float *x, float *cols, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow);
void anila_im2col_f64(const double *x, double *cols, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow);
void anila_col2im_f32(const float *cols, float *dx, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow);
void anila_col2im_f64(const double *cols, double *dx, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow);
void anila_wino_inputs_f32(const float *img, long h, long w, long pad, long ty, long tx, float *v, long plane);
void anila_wino_inputs_f64(const double *img, long h, long w, long pad, long ty, long tx, double *v, long plane);
void anila_wino_outputs_f32(const float *m, long plane, long ty, long tx, long oh, long ow, float b, float *y);
void anila_wino_outputs_f64(const double *m, long plane, long ty, long tx, long oh, long ow, double b, double *y);
*/
import "C"

import "unsafe"

func fp(s []float32) *C.float { return (*C.float)(unsafe.Pointer(&s[0])) }

func dp64(s []float64) *C.double { return (*C.double)(unsafe.Pointer(&s[0])) }

// With the cblas build tag, the float64 activations run in C kernels that the compiler
// vectorises (LeakyReLU's is a select: the same bits as the Go loop; the others agree with
// Go's math package to a few ulps, see kernels_math.h).
func init() {
	activationKernels64 = func(kind ActivationKind, param float64, x, y, dy, dx []float64, backward bool) bool {
		n := C.long(len(x))
		if n == 0 {
			return true
		}
		switch {
		case kind == LeakyReLU && !backward:
			C.anila_leaky_f64(dp64(x), dp64(y), n, C.double(param))
		case kind == LeakyReLU:
			C.anila_leaky_back_f64(dp64(x), dp64(dy), dp64(dx), n, C.double(param))
		case kind == SiLU && !backward:
			C.anila_silu_f64(dp64(x), dp64(y), n)
		case kind == SiLU:
			C.anila_silu_back_f64(dp64(x), dp64(y), dp64(dy), dp64(dx), n)
		case kind == Tanh && !backward:
			C.anila_tanh_f64(dp64(x), dp64(y), n)
		case kind == Tanh:
			C.anila_tanh_back_f64(dp64(y), dp64(dy), dp64(dx), n)
		case kind == ELU && !backward:
			C.anila_elu_f64(dp64(x), dp64(y), n, C.double(param))
		case kind == ELU:
			C.anila_elu_back_f64(dp64(x), dp64(y), dp64(dy), dp64(dx), n, C.double(param))
		case kind == Softplus && !backward:
			C.anila_softplus_f64(dp64(x), dp64(y), n)
		case kind == Softplus:
			C.anila_softplus_back_f64(dp64(x), dp64(dy), dp64(dx), n)
		case kind == GELU && !backward:
			C.anila_gelu_f64(dp64(x), dp64(y), n)
		case kind == GELU:
			C.anila_gelu_back_f64(dp64(x), dp64(dy), dp64(dx), n)
		default:
			return false
		}
		return true
	}
}

// kernelISA names the instruction set the native kernels run ("avx512", "avx2" or
// "baseline").
func kernelISA() string { return C.GoString(C.anila_kernels_isa()) }

// setKernelISA selects the kernels' instruction set (2 AVX-512, 1 AVX2, 0 baseline; at most
// what the processor has), for tests and benchmarks; it returns the previous level.
func setKernelISA(level int) int { return int(C.anila_kernels_set_isa(C.int(level))) }

// With the cblas build tag, Conv2d's im2col and col2im run in C (vectorised by gcc).
func init() {
	patchKernel = func(g convGeom, src, dst unsafe.Pointer, ld int, is64, back bool) {
		a := []C.long{C.long(ld), C.long(g.InC), C.long(g.H), C.long(g.W), C.long(g.K), C.long(g.Stride), C.long(g.Pad), C.long(g.OH), C.long(g.OW)}
		switch {
		case !is64 && !back:
			C.anila_im2col_f32((*C.float)(src), (*C.float)(dst), a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
		case is64 && !back:
			C.anila_im2col_f64((*C.double)(src), (*C.double)(dst), a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
		case !is64 && back:
			C.anila_col2im_f32((*C.float)(src), (*C.float)(dst), a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
		default:
			C.anila_col2im_f64((*C.double)(src), (*C.double)(dst), a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
		}
	}
}

// With the cblas build tag, the float32 activations run in C kernels that the compiler
// vectorises (AVX-512 or AVX2 where the processor has it); they compute what the Go loops
// compute, to a few float32 ulps.
func init() {
	activationKernels32 = func(kind ActivationKind, param float32, x, y, dy, dx []float32, backward bool) bool {
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
		case kind == Tanh:
			C.anila_tanh_back_f32(fp(y), fp(dy), fp(dx), n)
		case kind == ELU && !backward:
			C.anila_elu_f32(fp(x), fp(y), n, C.float(param))
		case kind == ELU:
			C.anila_elu_back_f32(fp(x), fp(y), fp(dy), fp(dx), n, C.float(param))
		case kind == Softplus && !backward:
			C.anila_softplus_f32(fp(x), fp(y), n)
		case kind == Softplus:
			C.anila_softplus_back_f32(fp(x), fp(dy), fp(dx), n)
		case kind == GELU && !backward:
			C.anila_gelu_f32(fp(x), fp(y), n)
		case kind == GELU:
			C.anila_gelu_back_f32(fp(x), fp(dy), fp(dx), n)
		case kind == LeakyReLU && !backward:
			C.anila_leaky_f32(fp(x), fp(y), n, C.float(param))
		case kind == LeakyReLU && backward:
			C.anila_leaky_back_f32(fp(x), fp(dy), fp(dx), n, C.float(param))
		default:
			return false
		}
		return true
	}
}

// With the cblas build tag, Winograd's tile transforms run in C (vectorised by the compiler).
func init() {
	winoKernels.inputs = func(img unsafe.Pointer, h, w, pad, ty, tx int, v unsafe.Pointer, plane int, is64 bool) {
		if is64 {
			C.anila_wino_inputs_f64((*C.double)(img), C.long(h), C.long(w), C.long(pad), C.long(ty), C.long(tx), (*C.double)(v), C.long(plane))
			return
		}
		C.anila_wino_inputs_f32((*C.float)(img), C.long(h), C.long(w), C.long(pad), C.long(ty), C.long(tx), (*C.float)(v), C.long(plane))
	}
	winoKernels.outputs = func(m unsafe.Pointer, plane, ty, tx, oh, ow int, b float64, y unsafe.Pointer, is64 bool) {
		if is64 {
			C.anila_wino_outputs_f64((*C.double)(m), C.long(plane), C.long(ty), C.long(tx), C.long(oh), C.long(ow), C.double(b), (*C.double)(y))
			return
		}
		C.anila_wino_outputs_f32((*C.float)(m), C.long(plane), C.long(ty), C.long(tx), C.long(oh), C.long(ow), C.float(b), (*C.float)(y))
	}
}
