package nn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/anila-ebm/anila/anila/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaConvGradients checks a Conv2d → Tanh → Linear net against gorgonia's Conv2d
// and its symbolic gradients of Σ_i f(x_i).
func TestGorgoniaConvGradients(t *testing.T) {
	const n = 3
	cv := nn.Conv2d[float64]{InC: 2, OutC: 3, H: 6, W: 5, K: 3, Stride: 2, Pad: 1}
	lin := nn.Linear[float64]{In: cv.OutSize(), Out: 1}
	net, err := nn.NewNet[float64](cv, nn.Activation[float64]{Kind: nn.Tanh, Size: cv.OutSize()}, lin)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	p := make([]float64, net.NumParams())
	for i := range p {
		p[i] = 0.5 * rng.NormFloat64()
	}
	x := make([]float64, n*cv.InSize())
	for i := range x {
		x[i] = 2*rng.Float64() - 1
	}
	ws := net.NewWorkspace(n)
	out := make([]float64, n)
	net.Forward(p, ws, x, n, out)
	dx := make([]float64, len(x))
	dp := make([]float64, len(p))
	net.Backward(p, ws, []float64{1, 1, 1}, dx, dp)

	must := func(nd *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return nd
	}
	g := G.NewGraph()
	val := func(shape []int, data []float64) G.NodeConsOpt {
		return G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), data...))))
	}
	nw := cv.OutC * cv.InC * cv.K * cv.K
	xN := G.NewTensor(g, tensor.Float64, 4, G.WithShape(n, cv.InC, cv.H, cv.W), G.WithName("x"), val([]int{n, cv.InC, cv.H, cv.W}, x))
	wN := G.NewTensor(g, tensor.Float64, 4, G.WithShape(cv.OutC, cv.InC, cv.K, cv.K), G.WithName("w"), val([]int{cv.OutC, cv.InC, cv.K, cv.K}, p[:nw]))
	bN := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, cv.OutC, 1, 1), G.WithName("b"), val([]int{1, cv.OutC, 1, 1}, p[nw:nw+cv.OutC]))
	off := nw + cv.OutC
	lwN := G.NewMatrix(g, tensor.Float64, G.WithShape(1, lin.In), G.WithName("lw"), val([]int{1, lin.In}, p[off:off+lin.In]))
	lbN := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 1), G.WithName("lb"), val([]int{1, 1}, p[off+lin.In:]))
	c := must(G.Conv2d(xN, wN, tensor.Shape{cv.K, cv.K}, []int{cv.Pad, cv.Pad}, []int{cv.Stride, cv.Stride}, []int{1, 1}))
	c = must(G.BroadcastAdd(c, bN, nil, []byte{0, 2, 3}))
	h := must(G.Tanh(c))
	h = must(G.Reshape(h, tensor.Shape{n, lin.In}))
	y := must(G.BroadcastAdd(must(G.Mul(h, must(G.Transpose(lwN)))), lbN, nil, []byte{0}))
	gOut, gdp, gdx := runGradient(t, g, y, xN, wN, bN, lwN, lbN)
	eOut, eDx, eDp := maxRelErr(out, gOut), maxRelErr(dx, gdx), maxRelErr(dp, gdp)
	t.Logf("%s: max relative error f %.2g, ∇x %.2g, ∇θ %.2g", net.Spec(), eOut, eDx, eDp)
	if eOut > 1e-10 || eDx > 1e-10 || eDp > 1e-10 || len(gdp) != len(dp) {
		t.Fatalf("conv net differs from gorgonia: f %.3g, ∇x %.3g, ∇θ %.3g (%d vs %d parameters)", eOut, eDx, eDp, len(gdp), len(dp))
	}
}
