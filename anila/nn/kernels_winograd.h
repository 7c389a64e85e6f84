// Winograd F(2×2, 3×3) tile transforms (winograd.go has the method and the Go versions),
// included by kernels_body.h once per instruction set. The loops over a row of tiles are
// written so that the compiler vectorises them (stride-2 loads, contiguous stores); tiles that
// overhang the image go through a scalar edge loop with zeros outside.

#ifndef ANILA_WINO_MACROS
#define ANILA_WINO_MACROS
// Bᵀ d B of tile bx from its rows split into even (E) and odd (O) columns: row i of the tile
// is Ei[bx], Oi[bx], Ei[bx+1], Oi[bx+1]; stored at v[k·plane]. Named scalars and unit-stride
// loads, which the vectoriser takes.
#define ANILA_WINO_IN_EO(T, bx, v, plane) \
	do { \
		T d00 = E0[bx], d01 = O0[bx], d02 = E0[bx + 1], d03 = O0[bx + 1]; \
		T d10 = E1[bx], d11 = O1[bx], d12 = E1[bx + 1], d13 = O1[bx + 1]; \
		T d20 = E2[bx], d21 = O2[bx], d22 = E2[bx + 1], d23 = O2[bx + 1]; \
		T d30 = E3[bx], d31 = O3[bx], d32 = E3[bx + 1], d33 = O3[bx + 1]; \
		T q00 = d00 - d20, q10 = d10 + d20, q20 = d20 - d10, q30 = d10 - d30; \
		T q01 = d01 - d21, q11 = d11 + d21, q21 = d21 - d11, q31 = d11 - d31; \
		T q02 = d02 - d22, q12 = d12 + d22, q22 = d22 - d12, q32 = d12 - d32; \
		T q03 = d03 - d23, q13 = d13 + d23, q23 = d23 - d13, q33 = d13 - d33; \
		(v)[(0) * (plane)] = q00 - q02; \
		(v)[(1) * (plane)] = q01 + q02; \
		(v)[(2) * (plane)] = q02 - q01; \
		(v)[(3) * (plane)] = q01 - q03; \
		(v)[(4) * (plane)] = q10 - q12; \
		(v)[(5) * (plane)] = q11 + q12; \
		(v)[(6) * (plane)] = q12 - q11; \
		(v)[(7) * (plane)] = q11 - q13; \
		(v)[(8) * (plane)] = q20 - q22; \
		(v)[(9) * (plane)] = q21 + q22; \
		(v)[(10) * (plane)] = q22 - q21; \
		(v)[(11) * (plane)] = q21 - q23; \
		(v)[(12) * (plane)] = q30 - q32; \
		(v)[(13) * (plane)] = q31 + q32; \
		(v)[(14) * (plane)] = q32 - q31; \
		(v)[(15) * (plane)] = q31 - q33; \
	} while (0)

// The input transform of one channel img (h×w) into v (its tiles from column 0 of this
// channel's rows; k-th transformed position at v[k·plane]). Each tile row's four image rows
// are first split into even and odd columns of the zero-padded row (ev, od: tx + 1 each).
#define ANILA_WINO_INPUTS(T, NAME)                                                             \
	ANILA_ATTR static void NAME(const T *restrict img, long h, long w, long pad, long ty, long tx, \
	                            T *restrict v, long plane) {                                   \
		T buf[8 * (tx + 1)];                                                                   \
		T *E0 = buf, *O0 = buf + (tx + 1), *E1 = buf + 2 * (tx + 1), *O1 = buf + 3 * (tx + 1);  \
		T *E2 = buf + 4 * (tx + 1), *O2 = buf + 5 * (tx + 1), *E3 = buf + 6 * (tx + 1), *O3 = buf + 7 * (tx + 1); \
		T *ev[4] = {E0, E1, E2, E3}, *od[4] = {O0, O1, O2, O3};                                \
		/* columns k with 2k − pad and 2k + 1 − pad both inside: [lo, hi) */                   \
		long lo = (pad + 1) / 2, hi = (w + pad) / 2;                                           \
		if (hi > tx + 1) hi = tx + 1;                                                          \
		if (hi < lo) hi = lo;                                                                  \
		for (long by = 0; by < ty; by++) {                                                     \
			for (int i = 0; i < 4; i++) {                                                      \
				long iy = 2 * by - pad + i;                                                    \
				T *e = ev[i], *o = od[i];                                                      \
				if (iy < 0 || iy >= h) {                                                       \
					for (long k = 0; k <= tx; k++) e[k] = 0, o[k] = 0;                         \
					continue;                                                                  \
				}                                                                              \
				const T *row = img + iy * w - pad;                                             \
				for (long k = lo; k < hi; k++) e[k] = row[2 * k], o[k] = row[2 * k + 1];       \
				for (long k = 0; k <= tx; k++) {                                               \
					if (k == lo && hi > lo) k = hi;                                            \
					if (k > tx) break;                                                         \
					long j = 2 * k - pad;                                                      \
					e[k] = (j >= 0 && j < w) ? img[iy * w + j] : 0;                            \
					o[k] = (j + 1 >= 0 && j + 1 < w) ? img[iy * w + j + 1] : 0;                \
				}                                                                              \
			}                                                                                  \
			T *out = v + by * tx;                                                              \
			for (long bx = 0; bx < tx; bx++) ANILA_WINO_IN_EO(T, bx, out + bx, plane);         \
		}                                                                                      \
	}

// Aᵀ M A of the tile at column bx of t (k-th position at t[k·plane]): its 2×2 outputs plus b.
#define ANILA_WINO_OUT(T, t, plane, bx, b, a_, c_, e_, f_)                                      \
	do {                                                                                       \
		T s[8];                                                                                \
		for (int j = 0; j < 4; j++) {                                                          \
			T m0 = t[j * plane + bx], m1 = t[(4 + j) * plane + bx];                            \
			T m2 = t[(8 + j) * plane + bx], m3 = t[(12 + j) * plane + bx];                     \
			s[j] = m0 + m1 + m2, s[4 + j] = m1 - m2 - m3;                                      \
		}                                                                                      \
		a_ = s[0] + s[1] + s[2] + b, c_ = s[1] - s[2] - s[3] + b;                              \
		e_ = s[4] + s[5] + s[6] + b, f_ = s[5] - s[6] - s[7] + b;                              \
	} while (0)

// The output transform of one output channel: m holds its tiles (k-th position at
// m[k·plane]), y its oh×ow map; b is added.
#define ANILA_WINO_OUTPUTS(T, NAME)                                                            \
	ANILA_ATTR static void NAME(const T *restrict m, long plane, long ty, long tx, long oh, long ow, \
	                            T b, T *restrict y) {                                          \
		long full = ow / 2; /* tiles whose two columns are both inside */                     \
		for (long by = 0; by < ty; by++) {                                                     \
			const T *t = m + by * tx;                                                          \
			T *y0 = y + 2 * by * ow, *y1 = y0 + ow, a, c, e, f;                                \
			if (2 * by + 1 < oh) {                                                             \
				for (long bx = 0; bx < full; bx++) {                                           \
					ANILA_WINO_OUT(T, t, plane, bx, b, a, c, e, f);                            \
					y0[2 * bx] = a, y0[2 * bx + 1] = c, y1[2 * bx] = e, y1[2 * bx + 1] = f;    \
				}                                                                              \
			} else {                                                                           \
				for (long bx = 0; bx < full; bx++) {                                           \
					ANILA_WINO_OUT(T, t, plane, bx, b, a, c, e, f);                            \
					y0[2 * bx] = a, y0[2 * bx + 1] = c;                                        \
				}                                                                              \
			}                                                                                  \
			if (tx > full) { /* an odd width: the last tile's first column */                 \
				ANILA_WINO_OUT(T, t, plane, full, b, a, c, e, f);                              \
				y0[2 * full] = a;                                                              \
				if (2 * by + 1 < oh) y1[2 * full] = e;                                         \
			}                                                                                  \
		}                                                                                      \
	}
#endif

ANILA_WINO_INPUTS(float, ANILA_NAME(anila_wino_inputs_f32))
ANILA_WINO_INPUTS(double, ANILA_NAME(anila_wino_inputs_f64))
ANILA_WINO_OUTPUTS(float, ANILA_NAME(anila_wino_outputs_f32))
ANILA_WINO_OUTPUTS(double, ANILA_NAME(anila_wino_outputs_f64))
