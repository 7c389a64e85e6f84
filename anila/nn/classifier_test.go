package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestClassifierLossGradient checks the softmax cross-entropy parameter gradient of the
// feature net against central finite differences (float64), and the loss against a direct
// computation from the logits.
func TestClassifierLossGradient(t *testing.T) {
	net, feat, err := BuildFeatureNet[float64](1, 8, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.Layers[feat].OutSize(); got != FeatureDim {
		t.Fatalf("feature layer %d has %d outputs", feat, got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	const n = 5
	x := randSlice(rng, n*net.InSize(), 1)
	labels := []int{0, 2, 1, 1, 0}
	c := NewClassifier(net, p)
	c.Chunk = 2 // several chunks
	grad := make([]float64, len(p))
	loss, _, err := c.LossGrad(x, labels, n, grad)
	if err != nil {
		t.Fatal(err)
	}
	// the loss from the logits directly
	ws := net.NewWorkspace(n)
	logits := make([]float64, n*3)
	net.Forward(p, ws, x, n, logits)
	direct := 0.0
	for i := 0; i < n; i++ {
		z := logits[i*3 : i*3+3]
		direct += math.Log(math.Exp(z[0])+math.Exp(z[1])+math.Exp(z[2])) - z[labels[i]]
	}
	if math.Abs(loss-direct/n) > 1e-12 {
		t.Fatalf("loss %g, direct %g", loss, direct/n)
	}
	lossAt := func() float64 {
		l, _, _ := c.LossGrad(x, labels, n, nil)
		return l
	}
	worst := 0.0
	for k := 0; k < 300; k++ {
		i := rng.IntN(len(p))
		old := p[i]
		h := 1e-6 * math.Max(1, math.Abs(old))
		p[i] = old + h
		up := lossAt()
		p[i] = old - h
		down := lossAt()
		p[i] = old
		fd := (up - down) / (2 * h)
		worst = math.Max(worst, math.Abs(fd-grad[i])/math.Max(1e-3, math.Abs(fd)+math.Abs(grad[i])))
	}
	if worst > 1e-5 {
		t.Fatalf("worst relative gradient error %g", worst)
	}
	if _, _, err := c.LossGrad(x, []int{0, 3, 1, 1, 0}, n, nil); err == nil {
		t.Fatal("label 3 of 3 classes accepted")
	}
	out := make([]float64, n*FeatureDim)
	if err := c.Features(x, n, feat, out); err != nil {
		t.Fatal(err)
	}
	// Features runs in chunks of 2, the forward above on all 5 at once: OpenBLAS may pick other
	// kernels for other matrix shapes (its SkylakeX dgemm does), so equal to rounding only.
	want := net.Activation(ws, feat)
	for i := range want {
		if math.Abs(out[i]-want[i]) > 1e-13*(1+math.Abs(want[i])) {
			t.Fatalf("feature %d = %g, forward gives %g", i, out[i], want[i])
		}
	}
}
