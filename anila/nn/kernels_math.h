// Elementary functions for the native activation kernels, written so that gcc and clang
// vectorise the loops that call them (no calls into libm, branches as selects, type punning by
// memcpy). Included by kernels_body.h once per instruction set, with ANILA_NAME(f) naming each
// copy and ANILA_ATTR its target. Accuracy, against Go's math package (kernels_c_test.go):
// exp and expm1 within 2 ulps, log1p within 2 ulps, Φ within 2e-13 relative.

// anila_expm1_core64 splits x = k·ln2 + r with |r| <= ln2/2 (Cody–Waite, k by the rounding trick
// with 1.5·2⁵²), sets *scale = 2^k and returns expm1(r) from its Taylor series to r¹³ (the
// first term left out is below 2⁻⁵⁶ of the result). Inputs are clamped to [-708, 709].
ANILA_ATTR static inline double ANILA_NAME(anila_expm1_core64)(double x, double *scale) {
	const double log2e = 1.4426950408889634, ln2hi = 6.93147180369123816490e-01,
	             ln2lo = 1.90821492927058770002e-10, shifter = 6755399441055744.0;
	x = x < 709.0 ? x : 709.0;
	x = x > -708.0 ? x : -708.0;
	double t = x * log2e + shifter;
	double kf = t - shifter;
	double r = (x - kf * ln2hi) - kf * ln2lo;
	// q = Σ r^(n−2)/n!, n = 2..13, by Estrin's scheme (short dependency chains)
	double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
	double p0 = 0.5 + r * (1.0 / 6.0), p1 = 1.0 / 24.0 + r * (1.0 / 120.0);
	double p2 = 1.0 / 720.0 + r * (1.0 / 5040.0), p3 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
	double p4 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0), p5 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
	double q = ((p0 + p1 * r2) + (p2 + p3 * r2) * r4) + (p4 + p5 * r2) * r8;
	uint64_t tb, u;
	memcpy(&tb, &t, 8);
	u = (tb - 0x4338000000000000ull + 1023ull) << 52;
	memcpy(scale, &u, 8);
	return r + r * r * q;
}

// anila_exp64 is exp(x) (clamped to [-708, 709]).
ANILA_ATTR static inline double ANILA_NAME(anila_exp64)(double x) {
	double s, p = ANILA_NAME(anila_expm1_core64)(x, &s);
	return s + s * p;
}

// anila_expm1_64 is exp(x) − 1, accurate near 0.
ANILA_ATTR static inline double ANILA_NAME(anila_expm1_64)(double x) {
	double s, p = ANILA_NAME(anila_expm1_core64)(x, &s);
	return s * p + (s - 1.0);
}

// anila_expm1_core32 is anila_expm1_core64 in float32: the series to r⁸, inputs clamped to
// [-87, 88].
ANILA_ATTR static inline float ANILA_NAME(anila_expm1_core32)(float x, float *scale) {
	const float log2e = 1.44269504088896341f, ln2hi = 0.693359375f, ln2lo = -2.12194440e-4f,
	            shifter = 12582912.0f;
	x = x < 88.0f ? x : 88.0f;
	x = x > -87.0f ? x : -87.0f;
	float t = x * log2e + shifter;
	float kf = t - shifter;
	float r = (x - kf * ln2hi) - kf * ln2lo;
	float q = 1.0f / 40320.0f;
	q = q * r + 1.0f / 5040.0f;
	q = q * r + 1.0f / 720.0f;
	q = q * r + 1.0f / 120.0f;
	q = q * r + 1.0f / 24.0f;
	q = q * r + 1.0f / 6.0f;
	q = q * r + 0.5f;
	uint32_t tb, u;
	memcpy(&tb, &t, 4);
	u = (tb - 0x4B400000u + 127u) << 23;
	memcpy(scale, &u, 4);
	return r + r * r * q;
}

// anila_expm1_32 is exp(x) − 1 in float32, accurate near 0 (float32 exp itself is anila_expf in
// kernels_body.h, the algorithm of the Go loops' expf32).
ANILA_ATTR static inline float ANILA_NAME(anila_expm1_32)(float x) {
	float s, p = ANILA_NAME(anila_expm1_core32)(x, &s);
	return s * p + (s - 1.0f);
}

// anila_log1p01_64 is log(1 + u) for u in [0, 1]: w = 1 + u = 2^e·m with m in [1/√2, √2],
// log m = 2·atanh(f), f = (m − 1)/(m + 1), |f| <= 0.172, by its series to f²³, plus the
// rounding error of 1 + u, (u − (w − 1))/w.
ANILA_ATTR static inline double ANILA_NAME(anila_log1p01_64)(double u) {
	double w = 1.0 + u;
	double c = (u - (w - 1.0)) / w;
	int big = w > 1.4142135623730951;
	double m = big ? 0.5 * w : w;
	double e = big ? 1.0 : 0.0;
	double f = (m - 1.0) / (m + 1.0), s = f * f;
	// q = Σ s^(n−1)/(2n+1), n = 1..11, by Estrin's scheme
	double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
	double p0 = 1.0 / 3 + s * (1.0 / 5), p1 = 1.0 / 7 + s * (1.0 / 9), p2 = 1.0 / 11 + s * (1.0 / 13);
	double p3 = 1.0 / 15 + s * (1.0 / 17), p4 = 1.0 / 19 + s * (1.0 / 21), p5 = 1.0 / 23;
	double q = ((p0 + p1 * s2) + (p2 + p3 * s2) * s4) + (p4 + p5 * s2) * s8;
	return e * 6.93147180559945309417e-01 + (2.0 * f + 2.0 * f * s * q + c);
}

// anila_log1p01_32 is anila_log1p01_64 in float32 (the series to f¹¹).
ANILA_ATTR static inline float ANILA_NAME(anila_log1p01_32)(float u) {
	float w = 1.0f + u;
	float c = (u - (w - 1.0f)) / w;
	int big = w > 1.41421356f;
	float m = big ? 0.5f * w : w;
	float e = big ? 1.0f : 0.0f;
	float f = (m - 1.0f) / (m + 1.0f), s = f * f;
	float q = 1.0f / 11;
	q = q * s + 1.0f / 9;
	q = q * s + 1.0f / 7;
	q = q * s + 1.0f / 5;
	q = q * s + 1.0f / 3;
	return e * 0.693147180559945309f + (2.0f * f + 2.0f * f * s * q + c);
}

// anila_erf_series is erf(z) for |z| <= 2 by its Taylor series to z⁶³ (within 7e-16),
// evaluated by Estrin's scheme in s = z² (a short dependency chain: the loops are bound by
// latency under Horner's rule).
ANILA_ATTR static inline double ANILA_NAME(anila_erf_series)(double z) {
	double s = z * z;
	double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4, s16 = s8 * s8;
	double p0 = (1.0 + -0.3333333333333333 * s), p1 = (0.1 + -0.023809523809523808 * s), p2 = (0.004629629629629629 + -0.0007575757575757576 * s), p3 = (0.00010683760683760684 + -1.3227513227513228e-05 * s), p4 = (1.4589169000933706e-06 + -1.4503852223150468e-07 * s), p5 = (1.3122532963802806e-08 + -1.0892221037148573e-09 * s), p6 = (8.35070279514724e-11 + -5.9477940136376354e-12 * s), p7 = (3.9554295164585257e-13 + -2.466827010264457e-14 * s), p8 = (1.4483264643598138e-15 + -8.032735012415773e-17 * s), p9 = (4.221407288807088e-18 + -2.107855191442136e-19 * s), p10 = (1.0025164934907719e-20 + -4.5518467589282e-22 * s), p11 = (1.977064753877905e-23 + -8.230149299214221e-25 * s), p12 = (3.289260349175752e-26 + -1.2641078988989164e-27 * s), p13 = (4.6784835155184856e-29 + -1.669761793417372e-30 * s), p14 = (5.754191643982172e-32 + -1.9169428621097826e-33 * s), p15 = (6.180307588222796e-35 + -1.930357208815108e-36 * s);
	double q0 = p0 + p1 * s2, q1 = p2 + p3 * s2, q2 = p4 + p5 * s2, q3 = p6 + p7 * s2, q4 = p8 + p9 * s2, q5 = p10 + p11 * s2, q6 = p12 + p13 * s2, q7 = p14 + p15 * s2;
	double r0 = q0 + q1 * s4, r1 = q2 + q3 * s4, r2 = q4 + q5 * s4, r3 = q6 + q7 * s4;
	double w0 = r0 + r1 * s8, w1 = r2 + r3 * s8;
	return 1.1283791670955126 * z * (w0 + w1 * s16);
}

// anila_erfc_tail is erfc(z) for z in [2, 26.5] as exp(−z²)·H(1/z)/(z√π), H a polynomial of
// degree 18 in u, 1/z mapped to [-1, 1] (fitted to erfc as a Chebyshev series, within 7e-14
// relative, then written in powers of u, whose coefficients stay below 1), by Estrin's scheme.
ANILA_ATTR static inline double ANILA_NAME(anila_erfc_tail)(double z) {
	const double lo = 0.03773584905660377, hi = 0.5; // 1/26.5 and 1/2
	double t = 1.0 / z, u = (2.0 * t - lo - hi) * (1.0 / (hi - lo));
	double u2 = u * u, u4 = u2 * u2, u8 = u4 * u4, u16 = u8 * u8;
	double p0 = 0.9672029922869523 + -0.051432125074120094 * u, p1 = -0.014718171801622675 + 0.0047376968296242 * u, p2 = -0.00026127928884002444 + -0.0002656335103815224 * u, p3 = 0.00010590848796071126 + -1.1662471243661333e-05 * u, p4 = -6.858202786638296e-06 + 4.196752472043041e-06 * u, p5 = -9.835657031176406e-07 + -1.0576708259192386e-07 * u, p6 = 1.9448868992229955e-07 + -8.64624394102417e-08 * u, p7 = 1.2594404216336369e-08 + 1.0076280691999612e-08 * u, p8 = -6.192647371289779e-09 + 4.678043223504047e-10 * u, p9 = 3.1503177776752076e-10;
	double q0 = p0 + p1 * u2, q1 = p2 + p3 * u2, q2 = p4 + p5 * u2, q3 = p6 + p7 * u2, q4 = p8 + p9 * u2;
	double r0 = q0 + q1 * u4, r1 = q2 + q3 * u4, r2 = q4;
	double h = (r0 + r1 * u8) + r2 * u16;
	return ANILA_NAME(anila_exp64)(-z * z) * h * t * 0.56418958354775628695;
}

// anila_phi64 is Φ(x), the standard normal CDF: ½(1 ± erf(|x|/√2)) by the series where
// |x|/√2 < 2, ½·erfc(|x|/√2) (or 1 minus it) by the tail's fit beyond. Within 2e-13 relative.
ANILA_ATTR static inline double ANILA_NAME(anila_phi64)(double x) {
	double a = x < 0 ? -x : x, z = a * 0.70710678118654752440;
	double zs = z < 2.0 ? z : 2.0, zt = z > 2.0 ? z : 2.0;
	zt = zt < 26.5 ? zt : 26.5;
	double erf = ANILA_NAME(anila_erf_series)(zs), erfc = ANILA_NAME(anila_erfc_tail)(zt);
	double near = x < 0 ? 0.5 - 0.5 * erf : 0.5 + 0.5 * erf;
	double far = x < 0 ? 0.5 * erfc : 1.0 - 0.5 * erfc;
	return z < 2.0 ? near : far;
}
