//go:build cblas

// Native kernels for the cblas build, called by kernels_c.go: float32 activations, float64
// LeakyReLU, im2col
// and col2im. kernels_body.h holds their bodies; it is compiled twice, for AVX2 and for
// baseline x86-64, and each public function calls the copy that the processor can run
// (cpuid, checked once at load). This is done by hand rather than with target_clones, whose
// ifunc resolvers clang (zig cc, used for the portable wheels) cannot link into a Go shared
// library.
//
// Flags: -O3 -fno-fast-math (kernels_c.go): gopy compiles cgo code with -ffast-math, which
// would fold the rounding trick of anila_expf away (caught by the PyTorch cross-check); and
// no trapping math (clang's default; a pragma for gcc), which lets the compiler turn the
// clamps into vector selects (IEEE results are unchanged). No FMA is enabled, so no product
// and sum are contracted: the kernels compute what the Go loops compute.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-fast-math", "no-trapping-math")
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

// anila_isa is the instruction set the kernels run: 1 for AVX2, 0 for baseline.
static int anila_isa = 0;

static int anila_cpu_has_avx2(void) {
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) != 6) return 0; // the OS saves the YMM registers
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
	return (b & bit_AVX2) != 0;
#else
	return 0;
#endif
}

__attribute__((constructor)) static void anila_kernels_init(void) { anila_isa = anila_cpu_has_avx2(); }

// anila_kernels_isa names the instruction set in use ("avx2" or "baseline").
const char *anila_kernels_isa(void) { return anila_isa ? "avx2" : "baseline"; }

// anila_kernels_set_isa selects AVX2 (1, only where the processor has it) or baseline (0),
// for tests; it returns the previous choice.
int anila_kernels_set_isa(int avx2) {
	int old = anila_isa;
	anila_isa = avx2 && anila_cpu_has_avx2();
	return old;
}

#if defined(__x86_64__)
#define ANILA_DISPATCH(name, params, args) \
	void name params { if (anila_isa) ANILA_CAT(name, _avx2) args; else ANILA_CAT(name, _base) args; }
#else
#define ANILA_DISPATCH(name, params, args) \
	void name params { ANILA_CAT(name, _base) args; }
#endif

ANILA_DISPATCH(anila_silu_f32, (const float *x, float *y, long n), (x, y, n))
ANILA_DISPATCH(anila_silu_back_f32, (const float *x, const float *y, const float *dy, float *dx, long n), (x, y, dy, dx, n))
ANILA_DISPATCH(anila_tanh_f32, (const float *x, float *y, long n), (x, y, n))
ANILA_DISPATCH(anila_leaky_f32, (const float *x, float *y, long n, float slope), (x, y, n, slope))
ANILA_DISPATCH(anila_leaky_back_f32, (const float *x, const float *dy, float *dx, long n, float slope), (x, dy, dx, n, slope))
ANILA_DISPATCH(anila_leaky_f64, (const double *x, double *y, long n, double slope), (x, y, n, slope))
ANILA_DISPATCH(anila_leaky_back_f64, (const double *x, const double *dy, double *dx, long n, double slope), (x, dy, dx, n, slope))
#define ANILA_PATCH_ARGS (S, D, ld, inC, H, W, K, s, pad, oh, ow)
ANILA_DISPATCH(anila_im2col_f32, (const float *S, float *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
ANILA_DISPATCH(anila_im2col_f64, (const double *S, double *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
ANILA_DISPATCH(anila_col2im_f32, (const float *S, float *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
ANILA_DISPATCH(anila_col2im_f64, (const double *S, double *D, long ld, long inC, long H, long W, long K, long s, long pad, long oh, long ow), ANILA_PATCH_ARGS)
