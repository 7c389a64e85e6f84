package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/anila-ebm/anila/anila/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gorgoniaActivation builds an activation out of gorgonia ops, exactly (not approximately)
// the function anila computes; both sides differ only at x = 0, which random inputs miss.
func gorgoniaActivation(kind nn.ActivationKind, slope float64, x *G.Node) (*G.Node, error) {
	switch kind {
	case nn.LeakyReLU:
		// x·[x ≥ 0] + slope·x·[x < 0]
		return G.LeakyRelu(x, slope)
	case nn.SiLU:
		s, err := G.Sigmoid(x)
		if err != nil {
			return nil, err
		}
		return G.HadamardProd(x, s)
	case nn.Tanh:
		return G.Tanh(x)
	case nn.ELU:
		// relu(x) + expm1(min(x, 0)), with min(x, 0) = x − relu(x).
		r, err := G.Rectify(x)
		if err != nil {
			return nil, err
		}
		neg, err := G.Sub(x, r)
		if err != nil {
			return nil, err
		}
		e, err := G.Expm1(neg)
		if err != nil {
			return nil, err
		}
		return G.Add(r, e)
	case nn.Softplus:
		// log(1 + exp(x)); anila's switch to x above 20 is not reached by these inputs
		return G.Softplus(x)
	}
	// GELU needs erf, which gorgonia lacks: it is checked by finite differences and against
	// PyTorch only.
	return nil, fmt.Errorf("no gorgonia form for %v", kind)
}

// gorgoniaMLP evaluates Σ_i f(x_i) for the MLP net with parameters p on the n rows of x and
// its symbolic gradient (gorgonia.Grad) with respect to every weight and bias and to x.
// It returns the outputs f(x_i), the parameter gradient laid out like p, and ∇x (n×in).
func gorgoniaMLP(t *testing.T, in int, hidden []int, kind nn.ActivationKind, slope float64,
	p, x []float64, n int) (out, dp, dx []float64) {
	t.Helper()
	must := func(nd *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return nd
	}
	g := G.NewGraph()
	xN := G.NewMatrix(g, tensor.Float64, G.WithShape(n, in), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n, in), tensor.WithBacking(append([]float64(nil), x...)))))
	var params []*G.Node // W0, b0, W1, b1, ... in p's order
	h := xN
	widths := append(append([]int(nil), hidden...), 1)
	off, fanIn := 0, in
	for l, width := range widths {
		wv := append([]float64(nil), p[off:off+width*fanIn]...)
		off += width * fanIn
		bv := append([]float64(nil), p[off:off+width]...)
		off += width
		w := G.NewMatrix(g, tensor.Float64, G.WithShape(width, fanIn), G.WithName(fmt.Sprintf("W%d", l)),
			G.WithValue(tensor.New(tensor.WithShape(width, fanIn), tensor.WithBacking(wv))))
		b := G.NewMatrix(g, tensor.Float64, G.WithShape(1, width), G.WithName(fmt.Sprintf("b%d", l)),
			G.WithValue(tensor.New(tensor.WithShape(1, width), tensor.WithBacking(bv))))
		params = append(params, w, b)
		// y = x·Wᵀ + b, b broadcast along the batch axis
		h = must(G.BroadcastAdd(must(G.Mul(h, must(G.Transpose(w)))), b, nil, []byte{0}))
		if l < len(hidden) {
			h = must(gorgoniaActivation(kind, slope, h))
		}
		fanIn = width
	}
	if off != len(p) {
		t.Fatalf("gorgonia MLP uses %d parameters, anila's %d", off, len(p))
	}
	return runGradient(t, g, h, xN, params...)
}

// runGradient runs graph g and returns the output y, the symbolic gradient of Σ y with
// respect to the parameters (concatenated in order) and with respect to x.
func runGradient(t *testing.T, g *G.ExprGraph, y, x *G.Node, params ...*G.Node) (out, dp, dx []float64) {
	t.Helper()
	var outV G.Value
	G.Read(y, &outV)
	cost, err := G.Sum(y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(cost, append([]*G.Node{x}, params...)...)
	if err != nil {
		t.Fatal(err)
	}
	gradV := make([]G.Value, len(grads))
	for i, gr := range grads {
		G.Read(gr, &gradV[i])
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	flat := func(v G.Value) []float64 { return append([]float64(nil), v.Data().([]float64)...) }
	out = flat(outV)
	dx = flat(gradV[0])
	for _, v := range gradV[1:] {
		dp = append(dp, flat(v)...)
	}
	return out, dp, dx
}

// maxRelErr is max_i |a_i − b_i| / max(|a_i|, |b_i|), counting exact agreement (0/0) as 0.
func maxRelErr(a, b []float64) float64 {
	worst := 0.0
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if d == 0 {
			continue
		}
		worst = max(worst, d/max(math.Abs(a[i]), math.Abs(b[i])))
	}
	return worst
}

// TestGorgoniaGradients checks anila's Forward and Backward on a 3-7-5-1 MLP against
// gorgonia's forward pass and symbolic gradients of Σ_i f(x_i) for the same weights.
func TestGorgoniaGradients(t *testing.T) {
	const (
		in    = 3
		n     = 4
		slope = 0.05
		tol   = 1e-10
	)
	hidden := []int{7, 5}
	for k, kind := range []nn.ActivationKind{nn.LeakyReLU, nn.SiLU, nn.Tanh, nn.ELU, nn.Softplus} {
		t.Run(kind.String(), func(t *testing.T) {
			net, err := nn.NewMLP[float64](nn.MLPConfig{In: in, Hidden: hidden, Activation: kind, Slope: slope})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(2024, uint64(k)))
			p := make([]float64, net.NumParams())
			for i := range p {
				p[i] = rng.NormFloat64() // N(0,1): pre-activations of both signs and well away from 0
			}
			x := make([]float64, n*in)
			for i := range x {
				x[i] = 2*rng.Float64() - 1
			}

			ws := net.NewWorkspace(n)
			out := make([]float64, n)
			net.Forward(p, ws, x, n, out)
			ones := []float64{1, 1, 1, 1}
			dx := make([]float64, n*in)
			dp := make([]float64, net.NumParams())
			net.Backward(p, ws, ones, dx, dp)

			gOut, gDp, gDx := gorgoniaMLP(t, in, hidden, kind, slope, p, x, n)
			if len(gOut) != n || len(gDx) != len(dx) || len(gDp) != len(dp) {
				t.Fatalf("gorgonia sizes: out %d, dx %d, dp %d; anila's %d, %d, %d",
					len(gOut), len(gDx), len(gDp), n, len(dx), len(dp))
			}
			eOut, eDx, eDp := maxRelErr(out, gOut), maxRelErr(dx, gDx), maxRelErr(dp, gDp)
			t.Logf("%s: max relative error f %.2g, ∇x %.2g, ∇θ %.2g (%d parameters)",
				net.Spec(), eOut, eDx, eDp, len(dp))
			for _, c := range []struct {
				name string
				err  float64
			}{{"f(x)", eOut}, {"∇x", eDx}, {"∇θ", eDp}} {
				if !(c.err < tol) {
					t.Errorf("%s differs from gorgonia's: max relative error %.3g ≥ %g", c.name, c.err, tol)
				}
			}
		})
	}
}
