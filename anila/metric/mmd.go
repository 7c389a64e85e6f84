package metric

import (
	"fmt"
	"math"
	"sort"
)

// MMD2 is the unbiased estimate of the squared maximum mean discrepancy between the n×d
// sample x and the m×d sample y under the RBF kernel exp(−‖a−b‖²/(2σ²)). A bandwidth σ <= 0
// takes the median heuristic: the median distance between points of the pooled sample (of
// its first 1,000 points: up to 500 of x, then y's).
// It can be slightly negative when the two distributions agree.
func MMD2(x []float64, n int, y []float64, m int, d int, sigma float64) (float64, error) {
	if n < 2 || m < 2 {
		return 0, fmt.Errorf("metric: MMD needs at least 2 points in each sample, got %d and %d", n, m)
	}
	if len(x) < n*d || len(y) < m*d {
		return 0, fmt.Errorf("metric: sample buffers shorter than n×d")
	}
	if sigma <= 0 {
		sigma = MedianDistance(x, n, y, m, d)
		if sigma == 0 {
			sigma = 1
		}
	}
	g := 1 / (2 * sigma * sigma)
	k := func(a, b []float64) float64 {
		s := 0.0
		for i := range a {
			t := a[i] - b[i]
			s += t * t
		}
		return math.Exp(-g * s)
	}
	var kxx, kyy, kxy float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			kxx += k(x[i*d:(i+1)*d], x[j*d:(j+1)*d])
		}
	}
	for i := 0; i < m; i++ {
		for j := i + 1; j < m; j++ {
			kyy += k(y[i*d:(i+1)*d], y[j*d:(j+1)*d])
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			kxy += k(x[i*d:(i+1)*d], y[j*d:(j+1)*d])
		}
	}
	fn, fm := float64(n), float64(m)
	return 2*kxx/(fn*(fn-1)) + 2*kyy/(fm*(fm-1)) - 2*kxy/(fn*fm), nil
}

// MedianDistance is the median Euclidean distance between pairs of the pooled sample,
// computed on at most its first 1000 points.
func MedianDistance(x []float64, n int, y []float64, m int, d int) float64 {
	pts := make([][]float64, 0, n+m)
	for i := 0; i < n && len(pts) < 500; i++ {
		pts = append(pts, x[i*d:(i+1)*d])
	}
	for i := 0; i < m && len(pts) < 1000; i++ {
		pts = append(pts, y[i*d:(i+1)*d])
	}
	var ds []float64
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			s := 0.0
			for k := range pts[i] {
				t := pts[i][k] - pts[j][k]
				s += t * t
			}
			ds = append(ds, math.Sqrt(s))
		}
	}
	if len(ds) == 0 {
		return 0
	}
	sort.Float64s(ds)
	if h := len(ds) / 2; len(ds)%2 == 0 {
		return (ds[h-1] + ds[h]) / 2
	}
	return ds[len(ds)/2]
}
