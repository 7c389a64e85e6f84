package nn

import (
	"math"
	"testing"
)

func TestExpf32(t *testing.T) {
	worst := 0.0
	for x := -87.0; x <= 88; x += 0.001 {
		got := float64(expf32(float32(x)))
		want := math.Exp(float64(float32(x)))
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	if worst > 3e-7 {
		t.Fatalf("max relative error %g > 3e-7", worst)
	}
	t.Logf("max relative error %.3g", worst)
}

func BenchmarkExpf32(b *testing.B) {
	s := float32(0)
	for i := 0; i < b.N; i++ {
		s += expf32(float32(i%100) * 0.01)
	}
	_ = s
}

func BenchmarkMathExp(b *testing.B) {
	s := float32(0)
	for i := 0; i < b.N; i++ {
		s += float32(math.Exp(float64(float32(i%100) * 0.01)))
	}
	_ = s
}
