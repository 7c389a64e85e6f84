package metric

import (
	"math/rand/v2"
	"testing"
)

func TestFeatureNetRoundTrip(t *testing.T) {
	f, err := NewFeatureNet(1, 8, 8, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	f.Dataset, f.TestAccuracy = "bars", 0.97
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	g, err := UnmarshalFeatureNet(b)
	if err != nil {
		t.Fatal(err)
	}
	if g.Dataset != "bars" || g.TestAccuracy != 0.97 || g.Classes != 3 || len(g.Params) != len(f.Params) {
		t.Fatalf("round trip: %+v", g)
	}
	x := make([]float32, 4*64)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	a, c := make([]float32, 4*128), make([]float32, 4*128)
	f.Features(x, 4, a)
	g.Features(x, 4, c)
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("feature %d: %v before, %v after the round trip", i, a[i], c[i])
		}
	}
	for _, bad := range [][]byte{b[:len(b)-1], append([]byte("XXXXXXXX"), b[8:]...), b[:10]} {
		if _, err := UnmarshalFeatureNet(bad); err == nil {
			t.Fatal("a damaged file was accepted")
		}
	}
}

// FuzzUnmarshalFeatureNet: any bytes give a feature net or an error, never a panic.
func FuzzUnmarshalFeatureNet(f *testing.F) {
	net, _ := NewFeatureNet(1, 4, 4, 2, 1)
	b, _ := net.Marshal()
	f.Add(b)
	f.Add([]byte("ANILAFNT"))
	f.Fuzz(func(t *testing.T, b []byte) {
		UnmarshalFeatureNet(b)
	})
}
