package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var snSpecs = []LayerSpec{
	{Type: "conv2d", Out: 3, Kernel: 3, Padding: 1, SpectralNorm: true},
	{Type: "silu"},
	{Type: "residual", Body: []LayerSpec{{Type: "conv2d", Out: 3, Kernel: 3, Padding: 1, SpectralNorm: true}, {Type: "tanh"}}},
	{Type: "flatten"},
	{Type: "linear", Out: 4, SpectralNorm: true},
	{Type: "elu"},
	{Type: "linear", Out: 1},
}

// TestSpectralNormGradients: a net with spectrally normalised convolutions (one inside a
// residual block) and a linear layer, checked by finite differences at float64 with u and v
// held, as PyTorch's eval mode holds them; no allocation per evaluation with OpenBLAS.
func TestSpectralNormGradients(t *testing.T) {
	in := Shape{2, 5, 4}
	net, err := BuildLayers[float64](in, snSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(net.SpectralNorms()); got != 3 {
		t.Fatalf("%d spectral normalisations, want 3", got)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	if w := fdWorst(net, p, randSlice(rng, 3*in.Size(), 1), 3); w > 1e-6 {
		t.Fatalf("worst relative gradient error %g", w)
	}
	checkNoAllocs(t, net, p, 16, rng)
	st := net.SpectralState()
	net.PowerStep(p)
	if slices.Equal(st, net.SpectralState()) {
		t.Fatal("PowerStep changed nothing")
	}
	if err := net.SetSpectralState(st); err != nil || !slices.Equal(st, net.SpectralState()) {
		t.Fatalf("SetSpectralState did not restore the state: %v", err)
	}
	if err := net.SetSpectralState(st[1:]); err == nil {
		t.Fatal("a short spectral state accepted")
	}
}

// TestSpectralNormSigma: power iteration converges to the largest singular value (gonum's
// SVD), so that W/σ has spectral norm 1.
func TestSpectralNormSigma(t *testing.T) {
	net, err := BuildLayers[float64](Shape{6, 1, 1}, []LayerSpec{{Type: "linear", Out: 5, SpectralNorm: true},
		{Type: "tanh"}, {Type: "linear", Out: 1}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	for k := 0; k < 200; k++ {
		net.PowerStep(p)
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(5, 6, p[:30]), mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	want := svd.Values(nil)[0]
	got := sigma(net.SpectralNorms()[0], p[:30])
	if math.Abs(got-want) > 1e-9*want {
		t.Fatalf("σ = %v, largest singular value %v", got, want)
	}
	if _, err := BuildLayers[float64](Shape{2, 1, 1}, []LayerSpec{{Type: "tanh", SpectralNorm: true}, {Type: "linear", Out: 1}}, false); err == nil {
		t.Fatal("spectral_norm on tanh accepted")
	}
}
