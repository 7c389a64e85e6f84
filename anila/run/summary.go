package run

import (
	"fmt"
	"math"
)

// Summary is what a run needs to know of its training data, per coordinate: the count,
// sums, sums of squares, minima and maxima. Summaries of shards merge element-wise (Merge;
// data-parallel ranks reduce the Flat form with sum, min and max), so that every rank
// resolves the same run from the union of the shards.
type Summary struct {
	N                    int
	Sum, SumSq, Min, Max []float64
}

// Summarize is the summary of n points of dimension d (row-major x), in float64.
func Summarize[T float32 | float64](x []T, n, d int) Summary {
	s := Summary{N: n, Sum: make([]float64, d), SumSq: make([]float64, d), Min: make([]float64, d), Max: make([]float64, d)}
	for j := range d {
		s.Min[j], s.Max[j] = math.Inf(1), math.Inf(-1)
	}
	for i := range n {
		row := x[i*d : (i+1)*d]
		for j, v := range row {
			f := float64(v)
			s.Sum[j] += f
			s.SumSq[j] += f * f
			s.Min[j] = math.Min(s.Min[j], f)
			s.Max[j] = math.Max(s.Max[j], f)
		}
	}
	return s
}

// Dim is the data dimension.
func (s Summary) Dim() int { return len(s.Sum) }

// Merge adds the summary of another shard of the same dimension.
func (s *Summary) Merge(o Summary) error {
	if o.Dim() != s.Dim() {
		return fmt.Errorf("run: summaries of dimensions %d and %d do not merge", s.Dim(), o.Dim())
	}
	s.N += o.N
	for j := range s.Sum {
		s.Sum[j] += o.Sum[j]
		s.SumSq[j] += o.SumSq[j]
		s.Min[j] = math.Min(s.Min[j], o.Min[j])
		s.Max[j] = math.Max(s.Max[j], o.Max[j])
	}
	return nil
}

// Flat is the summary as one vector [N, Sum…, SumSq…, Min…, Max…] (1 + 4d values): the form
// that ranks reduce (the first 1 + 2d by sum, then by min, then by max) and that crosses the
// C boundary.
func (s Summary) Flat() []float64 {
	out := make([]float64, 0, 1+4*s.Dim())
	out = append(out, float64(s.N))
	out = append(out, s.Sum...)
	out = append(out, s.SumSq...)
	out = append(out, s.Min...)
	return append(out, s.Max...)
}

// FromFlat reads the Flat form of a summary.
func FromFlat(v []float64) (Summary, error) {
	if len(v) < 5 || (len(v)-1)%4 != 0 {
		return Summary{}, fmt.Errorf("a data summary has 1 + 4d values, got %d", len(v))
	}
	d := (len(v) - 1) / 4
	n := v[0]
	if n < 1 || n != math.Trunc(n) || n > 1<<53 {
		return Summary{}, fmt.Errorf("a data summary's count must be a whole number >= 1, got %v", n)
	}
	for _, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Summary{}, fmt.Errorf("X must be finite (its summary holds %v)", f)
		}
	}
	c := func(k int) []float64 { return append([]float64(nil), v[1+k*d:1+(k+1)*d]...) }
	return Summary{N: int(n), Sum: c(0), SumSq: c(1), Min: c(2), Max: c(3)}, nil
}

// Mean is the mean of coordinate j.
func (s Summary) Mean(j int) float64 { return s.Sum[j] / float64(s.N) }

// Std is the (population) standard deviation of coordinate j.
func (s Summary) Std(j int) float64 {
	m := s.Mean(j)
	v := s.SumSq[j]/float64(s.N) - m*m
	if v < 0 {
		v = 0
	}
	return math.Sqrt(v)
}

// Range is the smallest and the largest value over all coordinates.
func (s Summary) Range() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for j := range s.Min {
		lo, hi = math.Min(lo, s.Min[j]), math.Max(hi, s.Max[j])
	}
	return lo, hi
}

// Scale is the data's scale: the RMS of its coordinates' standard deviations (1 for
// constant data).
func (s Summary) Scale() float64 {
	t := 0.0
	for j := range s.Sum {
		sd := s.Std(j)
		t += sd * sd
	}
	r := math.Sqrt(t / float64(s.Dim()))
	if r > 0 && !math.IsInf(r, 0) {
		return r
	}
	return 1
}

// CentralBox is [min_j (mean_j − sd_j), max_j (mean_j + sd_j)], widened by 1 on each side
// when it has no width (see train.CentralBox for why chains start there).
func (s Summary) CentralBox() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for j := range s.Sum {
		m, sd := s.Mean(j), s.Std(j)
		lo, hi = math.Min(lo, m-sd), math.Max(hi, m+sd)
	}
	if !(lo < hi) {
		lo, hi = lo-1, hi+1
	}
	return lo, hi
}
