// The bodies of the native kernels, included twice by kernels.c: once compiled for AVX2 and
// once for baseline x86-64, with ANILA_NAME(f) naming each copy and ANILA_ATTR its target.
// Written so that gcc and clang vectorise them.

// exp(x) in float32 (Cody–Waite reduction, degree-6 polynomial, rounding by the 1.5·2²³
// trick): the same algorithm as expf32 in fastexp.go, written so that gcc vectorises it
// (-fno-trapping-math lets it turn the clamps into selects; IEEE results are unchanged).
ANILA_ATTR static inline float ANILA_NAME(anila_expf)(float x) {
	const float log2e = 1.44269504088896341f, ln2hi = 0.693359375f, ln2lo = -2.12194440e-4f;
	const float shifter = 12582912.0f; // 1.5·2²³: t's low mantissa bits hold round(x·log2e)
	x = x < 88.0f ? x : 88.0f;
	x = x > -87.0f ? x : -87.0f;
	float t = x * log2e + shifter;
	float kf = t - shifter;
	float r = x - kf * ln2hi - kf * ln2lo;
	float p = 1.0f / 720;
	p = p * r + 1.0f / 120;
	p = p * r + 1.0f / 24;
	p = p * r + 1.0f / 6;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	uint32_t tb, u;
	memcpy(&tb, &t, 4);
	u = (tb - 0x4B400000u + 127u) << 23; // 2^k
	float s;
	memcpy(&s, &u, 4);
	return p * s;
}

ANILA_ATTR
static void ANILA_NAME(anila_silu_f32)(const float *x, float *y, long n) {
	for (long i = 0; i < n; i++) y[i] = x[i] / (1.0f + ANILA_NAME(anila_expf)(-x[i]));
}

ANILA_ATTR
static void ANILA_NAME(anila_silu_back_f32)(const float *x, const float *y, const float *dy, float *dx, long n) {
	for (long i = 0; i < n; i++) {
		float xv = x[i], s;
		s = (xv > 1e-6f || xv < -1e-6f) ? y[i] / xv : 1.0f / (1.0f + ANILA_NAME(anila_expf)(-xv));
		dx[i] = dy[i] * (s + y[i] * (1.0f - s));
	}
}

ANILA_ATTR
static void ANILA_NAME(anila_tanh_f32)(const float *x, float *y, long n) {
	for (long i = 0; i < n; i++) y[i] = 1.0f - 2.0f / (ANILA_NAME(anila_expf)(2.0f * x[i]) + 1.0f);
}

#include "kernels_math.h"
#include "kernels_winograd.h"

// Tanh's backward pass (both dtypes): dy·(1 − y²), the Go loop's arithmetic.
ANILA_ATTR static void ANILA_NAME(anila_tanh_back_f32)(const float *y, const float *dy, float *dx, long n) {
	for (long i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
ANILA_ATTR static void ANILA_NAME(anila_tanh_back_f64)(const double *y, const double *dy, double *dx, long n) {
	for (long i = 0; i < n; i++) dx[i] = dy[i] * (1.0 - y[i] * y[i]);
}

// float64 SiLU: x·σ(x) as x/(1 + exp(−x)); backward σ + y·(1 − σ) with σ = y/x (σ(x) itself
// near 0), as the Go loop.
ANILA_ATTR static void ANILA_NAME(anila_silu_f64)(const double *x, double *y, long n) {
	for (long i = 0; i < n; i++) y[i] = x[i] / (1.0 + ANILA_NAME(anila_exp64)(-x[i]));
}
ANILA_ATTR static void ANILA_NAME(anila_silu_back_f64)(const double *x, const double *y, const double *dy, double *dx, long n) {
	for (long i = 0; i < n; i++) {
		double xv = x[i];
		double s = (xv > 1e-6 || xv < -1e-6) ? y[i] / xv : 1.0 / (1.0 + ANILA_NAME(anila_exp64)(-xv));
		dx[i] = dy[i] * (s + y[i] * (1.0 - s));
	}
}

// float64 Tanh: sign(x)·(−e/(e + 2)), e = expm1(−2|x|), accurate near 0 as well.
ANILA_ATTR static void ANILA_NAME(anila_tanh_f64)(const double *x, double *y, long n) {
	for (long i = 0; i < n; i++) {
		double a = x[i] < 0 ? -x[i] : x[i];
		double e = ANILA_NAME(anila_expm1_64)(-2.0 * a);
		double t = -e / (e + 2.0);
		y[i] = x[i] < 0 ? -t : t;
	}
}

// ELU: x if x > 0, else alpha·expm1(x); backward dy, or dy·(y + alpha). (alpha 1 gives the
// same bits as without the product.)
ANILA_ATTR static void ANILA_NAME(anila_elu_f32)(const float *x, float *y, long n, float alpha) {
	for (long i = 0; i < n; i++) {
		float v = x[i] < 0.0f ? x[i] : 0.0f;
		float e = ANILA_NAME(anila_expm1_32)(v);
		y[i] = x[i] > 0.0f ? x[i] : alpha * e;
	}
}
ANILA_ATTR static void ANILA_NAME(anila_elu_f64)(const double *x, double *y, long n, double alpha) {
	for (long i = 0; i < n; i++) {
		double v = x[i] < 0.0 ? x[i] : 0.0;
		double e = ANILA_NAME(anila_expm1_64)(v);
		y[i] = x[i] > 0.0 ? x[i] : alpha * e;
	}
}
ANILA_ATTR static void ANILA_NAME(anila_elu_back_f32)(const float *x, const float *y, const float *dy, float *dx, long n,
                                                      float alpha) {
	for (long i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * (y[i] + alpha);
}
ANILA_ATTR static void ANILA_NAME(anila_elu_back_f64)(const double *x, const double *y, const double *dy, double *dx, long n,
                                                      double alpha) {
	for (long i = 0; i < n; i++) dx[i] = x[i] > 0.0 ? dy[i] : dy[i] * (y[i] + alpha);
}

// Softplus (beta 1, threshold 20, as torch.nn.Softplus): x above 20, else
// max(x, 0) + log1p(exp(−|x|)); backward dy·σ(x), σ(x) = 1/(1 + u) or u/(1 + u), u = exp(−|x|).
#ifndef ANILA_SOFTPLUS
#define ANILA_SOFTPLUS(T, SUF, EXP, LOG1P)                                                             \
	ANILA_ATTR static void ANILA_NAME(anila_softplus_##SUF)(const T *x, T *y, long n) {              \
		for (long i = 0; i < n; i++) {                                                              \
			T v = x[i], a = v < 0 ? -v : v, pos = v > 0 ? v : 0;                                    \
			T sp = pos + ANILA_NAME(LOG1P)(ANILA_NAME(EXP)(-a));                                     \
			y[i] = v > 20 ? v : sp;                                                                 \
		}                                                                                           \
	}                                                                                               \
	ANILA_ATTR static void ANILA_NAME(anila_softplus_back_##SUF)(const T *x, const T *dy, T *dx, long n) { \
		for (long i = 0; i < n; i++) {                                                              \
			T v = x[i], a = v < 0 ? -v : v;                                                         \
			T u = ANILA_NAME(EXP)(-a), d = 1 / (1 + u);                                             \
			T sg = v < 0 ? u * d : d;                                                               \
			dx[i] = v > 20 ? dy[i] : dy[i] * sg;                                                    \
		}                                                                                           \
	}
#endif
ANILA_SOFTPLUS(float, f32, anila_expf, anila_log1p01_32)
ANILA_SOFTPLUS(double, f64, anila_exp64, anila_log1p01_64)

// GELU (exact, as torch.nn.GELU): x·Φ(x); backward Φ(x) + x·φ(x), Φ and φ computed in
// float64 for both dtypes.
#ifndef ANILA_GELU
#define ANILA_GELU(T, SUF)                                                                          \
	ANILA_ATTR static void ANILA_NAME(anila_gelu_##SUF)(const T *x, T *y, long n) {                  \
		for (long i = 0; i < n; i++) {                                                              \
			double v = x[i];                                                                        \
			y[i] = (T)(v * ANILA_NAME(anila_phi64)(v));                                             \
		}                                                                                           \
	}                                                                                               \
	ANILA_ATTR static void ANILA_NAME(anila_gelu_back_##SUF)(const T *x, const T *dy, T *dx, long n) { \
		for (long i = 0; i < n; i++) {                                                              \
			double v = x[i], pdf = ANILA_NAME(anila_exp64)(-0.5 * v * v) * 0.3989422804014327;     \
			dx[i] = (T)((double)dy[i] * (ANILA_NAME(anila_phi64)(v) + v * pdf));                    \
		}                                                                                           \
	}
#endif
ANILA_GELU(float, f32)
ANILA_GELU(double, f64)

// LeakyReLU forward and backward, for float (f32) and double (f64): a select, so the same
// bits as the Go loops.
#ifndef ANILA_LEAKY
#define ANILA_LEAKY(T, FWD, BACK)                                                         \
	ANILA_ATTR static void FWD(const T *x, T *y, long n, T slope) {                       \
		for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];              \
	}                                                                                   \
	ANILA_ATTR static void BACK(const T *x, const T *dy, T *dx, long n, T slope) {       \
		for (long i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : slope * dy[i];           \
	}
#endif

ANILA_LEAKY(float, ANILA_NAME(anila_leaky_f32), ANILA_NAME(anila_leaky_back_f32))
ANILA_LEAKY(double, ANILA_NAME(anila_leaky_f64), ANILA_NAME(anila_leaky_back_f64))

// im2col and col2im of Conv2d (conv.go has the Go versions and the layout): the patch
// matrix of one image, rows ld apart, for float32 and float64. Stride 2 gets its own loop so
// that gcc vectorises the strided gather and scatter.
#ifndef ANILA_SPAN
#define ANILA_SPAN                                                   \
	long off = kx - pad, lo = 0, hi;                                 \
	if (off < 0) lo = (-off + s - 1) / s;                            \
	hi = (W - off + s - 1) / s;                                      \
	if (hi > ow) hi = ow;                                            \
	if (hi < lo) hi = lo;

#define ANILA_IM2COL(T, NAME)                                                                    \
	ANILA_ATTR \
	static void NAME(const T *x, T *cols, long ld, long inC, long H, long W, long K, long s, long pad,  \
	          long oh, long ow) {                                                              \
		for (long ci = 0; ci < inC; ci++) {                                                    \
			const T *img = x + ci * H * W;                                                     \
			for (long ky = 0; ky < K; ky++)                                                    \
				for (long kx = 0; kx < K; kx++) {                                              \
					T *row = cols + ((ci * K + ky) * K + kx) * ld;                             \
					ANILA_SPAN                                                                 \
					for (long oy = 0; oy < oh; oy++) {                                         \
						long iy = oy * s - pad + ky;                                           \
						T *out = row + oy * ow;                                                \
						if (iy < 0 || iy >= H) {                                               \
							memset(out, 0, ow * sizeof(T));                                    \
							continue;                                                          \
						}                                                                      \
						for (long i = 0; i < lo; i++) out[i] = 0;                              \
						for (long i = hi; i < ow; i++) out[i] = 0;                             \
						const T *src = img + iy * W + off;                                     \
						if (s == 1) {                                                          \
							memcpy(out + lo, src + lo, (hi - lo) * sizeof(T));                 \
						} else if (s == 2) {                                                   \
							for (long i = lo; i < hi; i++) out[i] = src[2 * i];                \
						} else {                                                               \
							for (long i = lo; i < hi; i++) out[i] = src[s * i];                \
						}                                                                      \
					}                                                                          \
				}                                                                              \
		}                                                                                      \
	}

#define ANILA_COL2IM(T, NAME)                                                                    \
	ANILA_ATTR \
	static void NAME(const T *cols, T *dx, long ld, long inC, long H, long W, long K, long s, long pad, \
	          long oh, long ow) {                                                              \
		for (long ci = 0; ci < inC; ci++) {                                                    \
			T *img = dx + ci * H * W;                                                          \
			for (long ky = 0; ky < K; ky++)                                                    \
				for (long kx = 0; kx < K; kx++) {                                              \
					const T *row = cols + ((ci * K + ky) * K + kx) * ld;                       \
					ANILA_SPAN                                                                 \
					for (long oy = 0; oy < oh; oy++) {                                         \
						long iy = oy * s - pad + ky;                                           \
						if (iy < 0 || iy >= H) continue;                                       \
						const T *in = row + oy * ow;                                           \
						T *dst = img + iy * W + off;                                           \
						if (s == 1) {                                                          \
							for (long i = lo; i < hi; i++) dst[i] += in[i];                    \
						} else if (s == 2) {                                                   \
							for (long i = lo; i < hi; i++) dst[2 * i] += in[i];                \
						} else {                                                               \
							for (long i = lo; i < hi; i++) dst[s * i] += in[i];                \
						}                                                                      \
					}                                                                          \
				}                                                                              \
		}                                                                                      \
	}
#endif

ANILA_IM2COL(float, ANILA_NAME(anila_im2col_f32))
ANILA_IM2COL(double, ANILA_NAME(anila_im2col_f64))
ANILA_COL2IM(float, ANILA_NAME(anila_col2im_f32))
ANILA_COL2IM(double, ANILA_NAME(anila_col2im_f64))
