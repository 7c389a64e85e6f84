//go:build cblas

// Native kernels for the cblas build, called by kernels_c.go: the activations (float32 and
// float64), im2col and col2im, and Winograd's tile transforms. kernels_body.h holds their bodies (kernels_math.h the
// elementary functions); it is compiled three times, for AVX-512, AVX2 and baseline x86-64,
// and each public function calls the copy that the processor can run (cpuid, checked once at
// load). This is done by hand rather than with target_clones, whose
// ifunc resolvers clang (zig cc, used for the portable wheels) cannot link into a Go shared
// library.
//
// Flags: -O3 -fno-fast-math (kernels_c.go): gopy compiles cgo code with -ffast-math, which
// would fold the rounding trick of anila_expf away (caught by the PyTorch cross-check); and
// no trapping math (clang's default; a pragma for gcc), which lets the compiler turn the
// clamps into vector selects (IEEE results are unchanged). No FMA is enabled, so no product
// and sum are contracted into an FMA (the fp-contract pragmas, for the AVX-512 copy): the kernels compute what
// the Go loops compute, and every copy computes the same bits.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-fast-math", "no-trapping-math", "fp-contract=off")
#endif
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define ANILA_CAT2(a, b) a##b
#define ANILA_CAT(a, b) ANILA_CAT2(a, b)
#define ANILA_NAME(f) ANILA_CAT(f, ANILA_SUFFIX)

#if defined(__x86_64__)
#define ANILA_SUFFIX _avx512
#if defined(__clang__)
#define ANILA_ATTR __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl"), min_vector_width(512)))
#else
#define ANILA_ATTR __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,prefer-vector-width=512")))
#endif
#include "kernels_body.h"
#undef ANILA_SUFFIX
#undef ANILA_ATTR

#define ANILA_SUFFIX _avx2
#define ANILA_ATTR __attribute__((target("avx2")))
#include "kernels_body.h"
#undef ANILA_SUFFIX
#undef ANILA_ATTR
#endif

#define ANILA_SUFFIX _base
#define ANILA_ATTR
#include "kernels_body.h"
#undef ANILA_SUFFIX
#undef ANILA_ATTR

// anila_isa is the instruction set the kernels run: 2 for AVX-512, 1 for AVX2, 0 for baseline.
static int anila_isa = 0;

// anila_cpu_isa is the best instruction set of this processor and operating system.
static int anila_cpu_isa(void) {
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) != 6) return 0; // the OS saves the YMM registers
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
	if (!(b & bit_AVX2)) return 0;
	const unsigned avx512 = bit_AVX512F | bit_AVX512DQ | bit_AVX512BW | bit_AVX512VL;
	if ((b & avx512) == avx512 && (lo & 0xE6) == 0xE6) return 2; // and the ZMM and mask registers
	return 1;
#else
	return 0;
#endif
}

__attribute__((constructor)) static void anila_kernels_init(void) { anila_isa = anila_cpu_isa(); }

// anila_kernels_isa names the instruction set in use ("avx512", "avx2" or "baseline").
const char *anila_kernels_isa(void) { return anila_isa == 2 ? "avx512" : anila_isa == 1 ? "avx2" : "baseline"; }

// anila_kernels_set_isa selects the instruction set (2 AVX-512, 1 AVX2, 0 baseline; at most
// what the processor has), for tests and benchmarks; it returns the previous choice.
int anila_kernels_set_isa(int level) {
	int old = anila_isa, best = anila_cpu_isa();
	anila_isa = level < best ? level : best;
	if (anila_isa < 0) anila_isa = 0;
	return old;
}

#if defined(__x86_64__)
#define ANILA_DISPATCH(name, params, args)                      \
	void name params {                                          \
		if (anila_isa == 2) ANILA_CAT(name, _avx512) args;      \
		else if (anila_isa == 1) ANILA_CAT(name, _avx2) args;   \
		else ANILA_CAT(name, _base) args;                       \
	}
#else
#define ANILA_DISPATCH(name, params, args) \
	void name params { ANILA_CAT(name, _base) args; }
#endif

// The activations' signatures: forward y = act(x); backward from x and y; backward from one
// of them (named a) alone.
#define ANILA_ACT(name, T) ANILA_DISPATCH(name, (const T *x, T *y, long n), (x, y, n))
#define ANILA_ACT_BACK(name, T) \
	ANILA_DISPATCH(name, (const T *x, const T *y, const T *dy, T *dx, long n), (x, y, dy, dx, n))
#define ANILA_ACT_BACK1(name, T) ANILA_DISPATCH(name, (const T *a, const T *dy, T *dx, long n), (a, dy, dx, n))
ANILA_ACT(anila_silu_f32, float)
ANILA_ACT(anila_silu_f64, double)
ANILA_ACT_BACK(anila_silu_back_f32, float)
ANILA_ACT_BACK(anila_silu_back_f64, double)
ANILA_ACT(anila_tanh_f32, float)
ANILA_ACT(anila_tanh_f64, double)
ANILA_ACT_BACK1(anila_tanh_back_f32, float)
ANILA_ACT_BACK1(anila_tanh_back_f64, double)
ANILA_DISPATCH(anila_elu_f32, (const float *x, float *y, long n, float alpha), (x, y, n, alpha))
ANILA_DISPATCH(anila_elu_f64, (const double *x, double *y, long n, double alpha), (x, y, n, alpha))
ANILA_DISPATCH(anila_elu_back_f32, (const float *x, const float *y, const float *dy, float *dx, long n, float alpha),
               (x, y, dy, dx, n, alpha))
ANILA_DISPATCH(anila_elu_back_f64, (const double *x, const double *y, const double *dy, double *dx, long n, double alpha),
               (x, y, dy, dx, n, alpha))
ANILA_ACT(anila_softplus_f32, float)
ANILA_ACT(anila_softplus_f64, double)
ANILA_ACT_BACK1(anila_softplus_back_f32, float)
ANILA_ACT_BACK1(anila_softplus_back_f64, double)
ANILA_ACT(anila_gelu_f32, float)
ANILA_ACT(anila_gelu_f64, double)
ANILA_ACT_BACK1(anila_gelu_back_f32, float)
ANILA_ACT_BACK1(anila_gelu_back_f64, double)
ANILA_DISPATCH(anila_leaky_f32, (const float *x, float *y, long n, float slope), (x, y, n, slope))
ANILA_DISPATCH(anila_leaky_back_f32, (const float *x, const float *dy, float *dx, long n, float slope), (x, dy, dx, n, slope))
ANILA_DISPATCH(anila_leaky_f64, (const double *x, double *y, long n, double slope), (x, y, n, slope))
ANILA_DISPATCH(anila_leaky_back_f64, (const double *x, const double *dy, double *dx, long n, double slope), (x, dy, dx, n, slope))
#define ANILA_PATCH_ARGS (S, D, ld, inC, H, W, K, s, pad, oh, ow)
ANILA_DISPATCH(anila_im2col_f32, (const float *S, float *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
ANILA_DISPATCH(anila_im2col_f64, (const double *S, double *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
ANILA_DISPATCH(anila_col2im_f32, (const float *S, float *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
ANILA_DISPATCH(anila_col2im_f64, (const double *S, double *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
ANILA_DISPATCH(anila_wino_inputs_f32, (const float *img, long h, long w, long pad, long ty, long tx, float *v, long plane),
               (img, h, w, pad, ty, tx, v, plane))
ANILA_DISPATCH(anila_wino_inputs_f64, (const double *img, long h, long w, long pad, long ty, long tx, double *v, long plane),
               (img, h, w, pad, ty, tx, v, plane))
ANILA_DISPATCH(anila_wino_outputs_f32, (const float *m, long plane, long ty, long tx, long oh, long ow, float b, float *y),
               (m, plane, ty, tx, oh, ow, b, y))
ANILA_DISPATCH(anila_wino_outputs_f64, (const double *m, long plane, long ty, long tx, long oh, long ow, double b, double *y),
               (m, plane, ty, tx, oh, ow, b, y))
