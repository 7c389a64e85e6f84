package data

import (
	"math"
	"testing"
)

func TestToysAreSeededAndDistinct(t *testing.T) {
	for _, name := range ToyNames() {
		a, err := Toy(name, 500, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Toy(name, 500, 1)
		c, _ := Toy(name, 500, 2)
		same, diff := true, false
		for i := range a {
			if math.IsNaN(a[i]) || math.IsInf(a[i], 0) {
				t.Fatalf("%s: non-finite value", name)
			}
			same = same && a[i] == b[i]
			diff = diff || a[i] != c[i]
		}
		if !same || !diff {
			t.Errorf("%s: same seed same=%v, other seed differs=%v", name, same, diff)
		}
	}
	if _, err := Toy("nope", 1, 0); err == nil {
		t.Fatal("unknown name accepted")
	}
	if _, err := Toy("rings", -1, 0); err == nil {
		t.Fatal("negative n accepted")
	}
}

// TestToyShapes checks each set against its documented density.
func TestToyShapes(t *testing.T) {
	n := 20000
	x, _ := Toy("rings", n, 3)
	counts := make([]int, len(RingRadii))
	for i := 0; i < n; i++ {
		r := math.Hypot(x[2*i], x[2*i+1])
		best := 0
		for k, rr := range RingRadii {
			if math.Abs(r-rr) < math.Abs(r-RingRadii[best]) {
				best = k
			}
		}
		if math.Abs(r-RingRadii[best]) > 6*RingNoise {
			t.Fatalf("rings: radius %g is far from every ring", r)
		}
		counts[best]++
	}
	for k, c := range counts {
		if math.Abs(float64(c)/float64(n)-0.25) > 0.02 {
			t.Errorf("rings: ring %d holds %.3f of the points, want 0.25", k, float64(c)/float64(n))
		}
	}
	x, _ = Toy("checkerboard", n, 4)
	for i := 0; i < n; i++ {
		col, row := int(math.Floor((x[2*i]+4)/2)), int(math.Floor((x[2*i+1]+4)/2))
		if col < 0 || col > 3 || row < 0 || row > 3 || (col+row)%2 != 0 {
			t.Fatalf("checkerboard: point (%g, %g) on a light square", x[2*i], x[2*i+1])
		}
	}
	x, _ = Toy("8gaussians", n, 5)
	sx, sy := 0.0, 0.0
	for i := 0; i < n; i++ {
		sx += x[2*i]
		sy += x[2*i+1]
		if r := math.Hypot(x[2*i], x[2*i+1]); r < 0.5 || r > 5 {
			t.Fatalf("8gaussians: radius %g", r)
		}
	}
	if math.Abs(sx/float64(n)) > 0.1 || math.Abs(sy/float64(n)) > 0.1 {
		t.Errorf("8gaussians: mean (%g, %g), want (0, 0)", sx/float64(n), sy/float64(n))
	}
}
