package nn

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// igebmBlock is IGEBM's residual block on c channels to out channels, downsampling by 2:
// two 3×3 convolutions with an activation between, a 1×1 strided convolution as shortcut.
func igebmBlock(out int) LayerSpec {
	return LayerSpec{Type: "residual",
		Body: []LayerSpec{{Type: "conv2d", Out: out, Kernel: 3, Padding: 1, Stride: 2}, {Type: "silu"},
			{Type: "conv2d", Out: out, Kernel: 3, Padding: 1}},
		Shortcut: []LayerSpec{{Type: "conv2d", Out: out, Kernel: 1, Stride: 2}}}
}

// TestResidualGradients: nets with an identity and a projection residual block, checked by
// finite differences at float64 and against body(x) + x computed by hand; no allocation per
// evaluation with OpenBLAS.
func TestResidualGradients(t *testing.T) {
	identity := LayerSpec{Type: "residual", Body: []LayerSpec{{Type: "conv2d", Out: 2, Kernel: 3, Padding: 1},
		{Type: "tanh"}, {Type: "conv2d", Out: 2, Kernel: 3, Padding: 1}}}
	in := Shape{2, 6, 5}
	net, err := BuildLayers[float64](in, []LayerSpec{identity, leakySpec(0.1), igebmBlock(3),
		{Type: "flatten"}, {Type: "linear", Out: 1}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 9))
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	if w := fdWorst(net, p, randSlice(rng, 3*in.Size(), 1), 3); w > 1e-6 {
		t.Fatalf("worst relative gradient error %g", w)
	}
	// The identity block alone against body(x) + x.
	block, err := BuildLayers[float64](in, []LayerSpec{identity}, true)
	if err != nil {
		t.Fatal(err)
	}
	bodyNet, _ := BuildLayers[float64](in, identity.Body, true)
	bp := make([]float64, block.NumParams())
	block.Init(bp, rng)
	x := randSlice(rng, 2*in.Size(), 1)
	y, b := make([]float64, 2*in.Size()), make([]float64, 2*in.Size())
	block.Forward(bp, block.NewWorkspace(2), x, 2, y)
	bodyNet.Forward(bp, bodyNet.NewWorkspace(2), x, 2, b)
	for i := range y {
		if y[i] != b[i]+x[i] {
			t.Fatalf("y[%d] = %v, body(x) + x = %v", i, y[i], b[i]+x[i])
		}
	}
	checkNoAllocs(t, net, p, 20, rng)
}

// TestResidualShapes: an identity shortcut needs the body to keep the shape; a shortcut
// must give the body's shape.
func TestResidualShapes(t *testing.T) {
	in := Shape{2, 4, 4}
	for _, c := range []struct {
		spec LayerSpec
		want string
	}{
		{LayerSpec{Type: "residual", Body: []LayerSpec{{Type: "conv2d", Out: 3, Kernel: 1}}}, "identity shortcut needs the same shape"},
		{LayerSpec{Type: "residual", Body: []LayerSpec{{Type: "conv2d", Out: 3, Kernel: 1}},
			Shortcut: []LayerSpec{{Type: "conv2d", Out: 3, Kernel: 1, Stride: 2}}}, "the body gives (3, 4, 4) but the shortcut (3, 2, 2)"},
		{LayerSpec{Type: "residual"}, "body: nn: an architecture needs at least one layer"},
		{LayerSpec{Type: "silu", Body: []LayerSpec{{Type: "tanh"}}}, "takes no body"},
	} {
		_, err := BuildLayers[float32](in, []LayerSpec{c.spec, {Type: "flatten"}, {Type: "linear", Out: 1}}, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
