package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// customSpecs is an image energy written as layer specs, with non-square maps, padding and
// stride. (python/tests/test_nn.py checks that its PyTorch cross-checks cover every type.)
var noBias = false

var customSpecs = []LayerSpec{
	{Type: "conv2d", Out: 3, Kernel: 3, Padding: 1},
	{Type: "silu"},
	{Type: "conv2d", Out: 4, Kernel: 2, Stride: 2, Bias: &noBias},
	leakySpec(0.1),
	{Type: "flatten"},
	{Type: "linear", Out: 5, Bias: &noBias},
	{Type: "tanh"},
	{Type: "linear", Out: 3},
	{Type: "elu"},
	{Type: "linear", Out: 1},
}

// TestLayersFromSpecs builds a net from specs and checks its gradients by finite
// differences at float64, and that a Langevin evaluation allocates nothing.
func TestLayersFromSpecs(t *testing.T) {
	in := Shape{2, 5, 6}
	net, err := BuildLayers[float64](in, customSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, lt := range LayerTypes() {
		if lt.Doc == "" {
			t.Errorf("layer type %s has no Doc", lt.Name)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	x := randSlice(rng, 3*in.Size(), 1)
	if w := fdWorst(net, p, x, 3); w > 1e-6 {
		t.Fatalf("worst relative gradient error %g", w)
	}
	if got := ChunkFor(net); got != ConvChunk {
		t.Fatalf("a net with convolutions runs %d examples per task, want %d", got, ConvChunk)
	}
	checkNoAllocs(t, net, p, 32, rng)
}

// checkNoAllocs fails when a Langevin evaluation (f and ∇x of n examples) of net allocates,
// with OpenBLAS; gonum's pure-Go Gemm may (its parallel products), which is only logged.
func checkNoAllocs[T Float](t *testing.T, net *Net[T], p []T, n int, rng *rand.Rand) {
	t.Helper()
	e := NewNetEnergy(net, p)
	xs, f, g := make([]T, n*net.InSize()), make([]T, n), make([]T, n*net.InSize())
	for i := range xs {
		xs[i] = T(rng.NormFloat64())
	}
	e.EnergyGrad(xs, n, f, g)
	switch a := testing.AllocsPerRun(10, func() { e.EnergyGrad(xs, n, f, g) }); {
	case a != 0 && !PureGo():
		t.Fatalf("EnergyGrad on %s allocates %v times per call", net.Spec(), a)
	case a != 0:
		t.Logf("EnergyGrad: %v allocations per call from gonum's parallel Gemm (pure Go build)", a)
	}
}

// TestPresetsAreLayerLists: each preset expands into layer specs that build the same net
// (same parameter count and the same energies for the same parameters) and survive JSON.
func TestPresetsAreLayerLists(t *testing.T) {
	for _, a := range []Arch{
		{Kind: "mlp", In: 2, Hidden: []int{8, 8}, Activation: "leakyrelu", Slope: 0.05},
		{Kind: "convnet", In: 1 * 10 * 12, Channels: 1, Height: 10, Width: 12, NF: 2, Slope: 0.05},
		{Kind: "vanilla", In: 3 * 16 * 16, Channels: 3, Height: 16, Width: 16, NF: 2, Slope: 0.2},
	} {
		ex, err := a.Expanded()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(ex)
		var back Arch
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		custom := Arch{Kind: "layers", In: a.In, Channels: a.Channels, Height: a.Height, Width: a.Width, Layers: back.Layers}
		n1, err := Build[float64](a)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := Build[float64](custom)
		if err != nil {
			t.Fatal(err)
		}
		if n1.NumParams() != n2.NumParams() || n1.Spec() != n2.Spec() {
			t.Fatalf("%s: preset %s, its layers %s", a.Kind, n1.Spec(), n2.Spec())
		}
		rng := rand.New(rand.NewPCG(1, 1))
		p := make([]float64, n1.NumParams())
		n1.Init(p, rng)
		x := randSlice(rng, 4*a.In, 1)
		if s1, s2 := sumF(n1, p, x, 4), sumF(n2, p, x, 4); s1 != s2 {
			t.Fatalf("%s: energies differ: %v vs %v", a.Kind, s1, s2)
		}
	}
}

// TestBadSpecs: each bad spec is refused with a message naming the layer and the problem.
func TestBadSpecs(t *testing.T) {
	for _, c := range []struct {
		in    Shape
		specs []LayerSpec
		want  string
	}{
		{Shape{2, 1, 1}, []LayerSpec{{Type: "dense", Out: 1}}, `layer 0: unknown layer type "dense" (known: `},
		{Shape{1, 4, 4}, []LayerSpec{{Type: "linear", Out: 1}}, "add a flatten layer before it"},
		{Shape{1, 4, 4}, []LayerSpec{{Type: "conv2d", Out: 2, Kernel: 5}, {Type: "flatten"}, {Type: "linear", Out: 1}}, "leaves no output"},
		{Shape{1, 4, 4}, []LayerSpec{{Type: "conv2d", Kernel: 3}}, "out must be >= 1, got 0"},
		{Shape{2, 1, 1}, []LayerSpec{{Type: "linear", Out: 3}}, "last layer must give 1 output"},
		{Shape{2, 1, 1}, []LayerSpec{{Type: "silu", Settings: map[string]float64{"slope": 0.1}}, {Type: "linear", Out: 1}}, `silu takes no setting "slope"`},
		{Shape{2, 1, 1}, []LayerSpec{{Type: "elu", Settings: map[string]float64{"alpha": math.NaN()}}, {Type: "linear", Out: 1}}, "alpha must be finite"},
		{Shape{2, 1, 1}, nil, "at least one layer"},
		{Shape{2, 1, 1}, []LayerSpec{{Type: "linear", In: 3, Out: 1}}, "says in=3 but its input has shape (2)"},
		{Shape{2, 1, 1}, []LayerSpec{{Type: "tanh", In: 2}, {Type: "linear", Out: 1}}, "takes no in"},
		{Shape{2, 1, 1}, []LayerSpec{{Type: "tanh", Bias: &noBias}, {Type: "linear", Out: 1}}, "has no bias to leave out"},
	} {
		_, err := BuildLayers[float32](c.in, c.specs, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.specs, err, c.want)
		}
	}
}

// TestELUAlpha: ELU's alpha, a setting declared in activation.go alone, reaches the layer:
// y = alpha·(exp(x) − 1) below 0, gradients by finite differences at alpha 0.5, and the
// default alpha 1 when the spec leaves it out.
func TestELUAlpha(t *testing.T) {
	in := Shape{3, 1, 1}
	specs := []LayerSpec{{Type: "linear", Out: 7}, {Type: "elu", Settings: map[string]float64{"alpha": 0.5}},
		{Type: "linear", Out: 5}, {Type: "elu", Settings: map[string]float64{"alpha": 2.5}}, {Type: "linear", Out: 1}}
	net, err := BuildLayers[float64](in, specs, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.Layers[1].(Activation[float64]).Alpha; got != 0.5 {
		t.Fatalf("alpha %v, want 0.5", got)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	x := randSlice(rng, 6*in.Size(), 2)
	if w := fdWorst(net, p, x, 6); w > 1e-6 {
		t.Fatalf("worst relative gradient error %g", w)
	}
	for _, alpha := range []float64{0.5, 1, 0} {
		a := Activation[float64]{Kind: ELU, Size: 2, Alpha: alpha}
		y := make([]float64, 2)
		a.Forward(nil, []float64{-1.5, 2}, y, 1)
		if want := alpha * math.Expm1(-1.5); math.Abs(y[0]-want) > 1e-15 || y[1] != 2 {
			t.Fatalf("alpha %v: elu(-1.5, 2) = %v, want (%v, 2)", alpha, y, want)
		}
	}
	def, err := BuildLayers[float64](in, []LayerSpec{{Type: "elu"}, {Type: "linear", Out: 1}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := def.Layers[0].(Activation[float64]).Alpha; got != 1 {
		t.Fatalf("default alpha %v, want 1", got)
	}
	ex, err := (Arch{Kind: "mlp", In: 2, Hidden: []int{4}, Activation: "elu"}).Expanded()
	if err != nil {
		t.Fatal(err)
	}
	if got := ex.Layers[1].Settings["alpha"]; got != 1 {
		t.Fatalf("the mlp preset's elu has alpha %v, want 1", got)
	}
}

// TestSettingsJSON: settings are keys of the spec's JSON object, a 0 survives the round
// trip (it used to be dropped, and LeakyReLU's twin took torch's 0.01), old files with
// "slope" load, and ResolveSpecs writes every declared setting out.
func TestSettingsJSON(t *testing.T) {
	specs := []LayerSpec{leakySpec(0), {Type: "elu", Settings: map[string]float64{"alpha": 0}}, {Type: "linear", Out: 1}}
	b, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"type":"leakyrelu","slope":0},{"type":"elu","alpha":0},{"type":"linear","out":1}]`; string(b) != want {
		t.Fatalf("JSON %s, want %s", b, want)
	}
	var back []LayerSpec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, specs) {
		t.Fatalf("round trip %+v, want %+v", back, specs)
	}
	net, err := BuildLayers[float64](Shape{2, 1, 1}, back, false)
	if err != nil {
		t.Fatal(err)
	}
	if a := net.Layers[0].(Activation[float64]); a.Slope != 0 {
		t.Fatalf("slope %v after the round trip, want 0", a.Slope)
	}
	var old LayerSpec
	if err := json.Unmarshal([]byte(`{"type":"leakyrelu","slope":0.05}`), &old); err != nil || old.Setting("slope") != 0.05 {
		t.Fatalf("old spec: %+v, %v", old, err)
	}
	if err := json.Unmarshal([]byte(`{"type":"leakyrelu","slope":"x"}`), &old); err == nil {
		t.Fatal("a string setting was accepted")
	}
	res, err := ResolveSpecs(Shape{2, 1, 1}, []LayerSpec{{Type: "leakyrelu"}, {Type: "elu"}, {Type: "linear", Out: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ = json.Marshal(res); string(b) != `[{"type":"leakyrelu","slope":0.01},{"type":"elu","alpha":1},{"type":"linear","in":2,"out":1}]` {
		t.Fatalf("resolved %s", b)
	}
	// the MLP preset with slope 0: the arch and its layers keep it
	a := Arch{Kind: "mlp", In: 2, Hidden: []int{4}, Activation: "leakyrelu", Slope: 0}
	ex, err := a.Expanded()
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(ex)
	var arch Arch
	if err := json.Unmarshal(b, &arch); err != nil {
		t.Fatal(err)
	}
	if s, ok := arch.Layers[1].Settings["slope"]; !ok || s != 0 || arch.Slope != 0 {
		t.Fatalf("mlp slope 0 after JSON: %s", b)
	}
	if n, err := Build[float64](arch); err != nil || n.Layers[1].(Activation[float64]).Slope != 0 {
		t.Fatalf("mlp slope 0 rebuilt: %v", err)
	}
}
