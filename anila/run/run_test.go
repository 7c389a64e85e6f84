package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/anila-ebm/anila/anila/sampler"
)

func points(n, d int, scale, shift float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = shift + scale*r.NormFloat64()*float64(1+i%d)
	}
	return x
}

func request(t *testing.T, text string) Request {
	t.Helper()
	r, err := ParseRequest(text)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDefaultsForPointData: no parameters give the table's point defaults, with the MLP
// standardised by the data and η, b per unit of the data's scale.
func TestDefaultsForPointData(t *testing.T) {
	x := points(400, 2, 3, 5, 1)
	s := Summarize(x, 400, 2)
	req := request(t, `{"params": {}, "shape": [2]}`)
	req.Summary = s.Flat()
	r, err := Resolve(req)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Config
	if c.Steps != 40 || c.Jump != 1 || c.EMA != 0.99 || r.Plan.Iterations != 6600 || c.BatchSize != 128 || r.Dtype != "float32" {
		t.Fatalf("defaults: %+v, plan %+v", c, r.Plan)
	}
	sc := s.Scale()
	if math.Abs(c.Sampler.StepSize-0.005*sc*sc) > 1e-15 || math.Abs(c.Sampler.Threshold-10/sc) > 1e-12 {
		t.Fatalf("step %v, threshold %v for scale %v", c.Sampler.StepSize, c.Sampler.Threshold, sc)
	}
	if r.Arch.InScale != sc || len(r.Arch.InShift) != 2 || len(r.Arch.Hidden) != 3 || r.Arch.Activation != "silu" {
		t.Fatalf("arch %+v", r.Arch)
	}
	// two-pass mean and sd agree with the summary's
	for j := 0; j < 2; j++ {
		m, v := 0.0, 0.0
		for i := 0; i < 400; i++ {
			m += x[i*2+j]
		}
		m /= 400
		for i := 0; i < 400; i++ {
			v += (x[i*2+j] - m) * (x[i*2+j] - m)
		}
		sd := math.Sqrt(v / 400)
		if math.Abs(r.Arch.InShift[j]-m) > 1e-12 || math.Abs(c.JumpWidth[j]-0.05*sd) > 1e-12 {
			t.Fatalf("coordinate %d: shift %v (mean %v), jump width %v (sd %v)", j, r.Arch.InShift[j], m, c.JumpWidth[j], sd)
		}
	}
	lo, hi := s.Range()
	w := hi - lo
	if c.Sampler.Lo != lo-0.2*w || c.Sampler.Hi != hi+0.2*w {
		t.Fatalf("clamp (%v, %v), data range (%v, %v)", c.Sampler.Lo, c.Sampler.Hi, lo, hi)
	}
	// given η and b are used as they are
	req.Params = map[string]any{"step_size": 0.5, "threshold": 2.0}
	r2, err := Resolve(req)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Config.Sampler.StepSize != 0.5 || r2.Config.Sampler.Threshold != 2 {
		t.Fatalf("given step and threshold became %v, %v", r2.Config.Sampler.StepSize, r2.Config.Sampler.Threshold)
	}
}

// TestImageDefaults: a conv preset on images gets the image defaults and the channel count.
func TestImageDefaults(t *testing.T) {
	x := points(10, 3*8*8, 1, 0, 2)
	req := request(t, `{"params": {"energy": "vanilla", "nf": 4}, "shape": [3, 8, 8]}`)
	req.Summary = Summarize(x, 10, 3*8*8).Flat()
	r, err := Resolve(req)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Config
	if c.Steps != 20 || c.BatchSize != 64 || c.Sampler.StepSize != 1 || c.Sampler.Channels != 3 || c.Jump != 0 || c.EMA != 0 ||
		r.Arch.Channels != 3 || r.Arch.InScale != 0 || c.Sampler.Anisotropy.String() != "pixel" {
		t.Fatalf("image defaults: %+v %+v", c, r.Arch)
	}
	if _, err := Resolve(request(t, `{"params": {"energy": "convnet"}, "shape": [192]}`)); err == nil ||
		!strings.Contains(err.Error(), "X must be images") {
		t.Fatalf("flat data for a ConvNet: %v", err)
	}
}

// TestErrorsNameParameterAndValue: each kind of bad value is refused with its name, its
// value and the kind of error (a type error or a value error).
func TestErrorsNameParameterAndValue(t *testing.T) {
	for _, c := range []struct {
		params string
		typ    bool
		want   string
	}{
		{`{"steps": 0}`, false, "steps must be >= 1, got 0"},
		{`{"steps": 2.5}`, true, "steps must be an integer, got 2.5"},
		{`{"steps": "5"}`, true, "steps must be an integer, got '5'"},
		{`{"lr": "NaN"}`, false, "lr must be finite, got nan"},
		{`{"lr": 0}`, false, "lr must be > 0.0, got 0.0"},
		{`{"lr": true}`, true, "lr must be a number, got True"},
		{`{"ema": 1}`, false, "ema must be < 1.0, got 1.0"},
		{`{"l2": -1e-05}`, false, "l2 must be >= 0.0, got -1e-05"},
		{`{"sampler": "mala"}`, false, "sampler must be one of ['anila', 'hmc', 'sgld'], got 'mala'"},
		{`{"adjusted": 1}`, true, "adjusted must be True or False, got 1"},
		{`{"hidden": [16, 0]}`, false, "hidden[1] must be >= 1, got 0"},
		{`{"hidden": 16}`, true, "hidden must be a sequence of layer widths, got 16"},
		{`{"betas": [0.9, 1.0]}`, false, "betas[1] must be < 1.0, got 1.0"},
		{`{"clamp": [1, 0]}`, false, "clamp must have lo < hi, got [1, 0]"},
		{`{"clamp": "wide"}`, true, "clamp must be 'auto', 'data', None or a pair (lo, hi), got 'wide'"},
		{`{"noise_box": null}`, false, ""},
		{`{"seed": -1}`, false, "seed must be >= 0, got -1"},
		{`{"seed": 9223372036854775808}`, false, "seed must be <= 9223372036854775807"},
		{`{"bogus": 1, "also": 2}`, true, "unknown parameter(s) ['also', 'bogus']"},
		{`{"adjusted": true, "noise_scale": 0}`, false, "noise_scale must be > 0 for an adjusted sampler"},
		{`{"buffer_size": 10, "batch_size": 20}`, false, "buffer_size must be >= batch_size (20), got 10"},
		{`{"layers": [{"type": "linear", "out": 1}]}`, false, "layers is for energy='layers'"},
		{`{"energy": "layers", "layers": []}`, true, "layers must be a non-empty list of layer specs"},
		{`{"energy": "layers", "layers": [{"type": "linear", "out": 1, "colour": 3}]}`, false, `linear takes no setting "colour"`},
	} {
		_, err := Resolve(request(t, `{"params": `+c.params+`, "shape": [2]}`))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.params, err)
			}
			continue
		}
		var e *Error
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.params, err, c.want)
		} else if !errors.As(err, &e) || e.Type != c.typ {
			t.Errorf("%s: error %v is type error %v, want %v", c.params, err, e != nil && e.Type, c.typ)
		}
	}
}

// TestBoundsComeFromTheTable: changing a bound in Table changes what Resolve accepts and
// what its error says.
func TestBoundsComeFromTheTable(t *testing.T) {
	req := request(t, `{"params": {"steps": 60}, "shape": [2]}`)
	if _, err := Resolve(req); err != nil {
		t.Fatal(err)
	}
	restore := SetBound("steps", "max", 50)
	defer restore()
	_, err := Resolve(req)
	if err == nil || err.Error() != "steps must be <= 50, got 60" {
		t.Fatalf("with the table's max 50: %v", err)
	}
	restore()
	if _, err := Resolve(req); err != nil {
		t.Fatal(err)
	}
}

// TestSummaryMerges: the summaries of two shards merge into the summary of their union.
func TestSummaryMerges(t *testing.T) {
	x := points(300, 3, 2, -1, 3)
	whole := Summarize(x, 300, 3)
	a, b := Summarize(x[:3*120], 120, 3), Summarize(x[3*120:], 180, 3)
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 3; j++ {
		if math.Abs(a.Mean(j)-whole.Mean(j)) > 1e-12 || math.Abs(a.Std(j)-whole.Std(j)) > 1e-12 ||
			a.Min[j] != whole.Min[j] || a.Max[j] != whole.Max[j] || a.N != whole.N {
			t.Fatalf("coordinate %d: merged %v/%v, whole %v/%v", j, a.Mean(j), a.Std(j), whole.Mean(j), whole.Std(j))
		}
	}
	back, err := FromFlat(a.Flat())
	if err != nil || back.N != 300 || back.Max[2] != a.Max[2] {
		t.Fatalf("flat round trip: %+v, %v", back, err)
	}
}

// TestRanks: a rank gets its own seed (rank 0 the run's) and its share of the buffer.
func TestRanks(t *testing.T) {
	var seeds []uint64
	for rank := 0; rank < 3; rank++ {
		req := request(t, `{"params": {"seed": 7, "buffer_size": 1000}, "shape": [2], "ranks": 3}`)
		req.Rank = rank
		r, err := Resolve(req)
		if err != nil {
			t.Fatal(err)
		}
		if r.Config.BufferSize != 334 || r.Plan.BufferSize != 1000 || r.Plan.Seed != 7 || r.Plan.Ranks != 3 {
			t.Fatalf("rank %d: buffer %d, plan %+v", rank, r.Config.BufferSize, r.Plan)
		}
		seeds = append(seeds, r.Config.Seed)
	}
	if seeds[0] != 7 || seeds[1] == seeds[0] || seeds[2] == seeds[1] {
		t.Fatalf("rank seeds %v", seeds)
	}
}

// TestDescribeNamesEveryParameter: a resolved run described gives every table name, with
// the values resolved.
func TestDescribeNamesEveryParameter(t *testing.T) {
	r, err := Resolve(request(t, `{"params": {"steps": 7, "clamp": null, "betas": [0.5, 0.9]}, "shape": [3]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := Describe(r.Arch, r.Config, r.Dtype, &r.Plan)
	var got, want []string
	for k := range d {
		got = append(got, k)
	}
	for _, p := range Table {
		if !p.SampleOnly {
			want = append(want, p.Name)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Describe names %v, the table %v", got, want)
	}
	if d["steps"] != 7 || d["clamp"] != nil || d["betas"].([]float64)[0] != 0.5 || d["iterations"] != 6600 {
		t.Fatalf("described: %v", d)
	}
}

// TestSamplerSettings: sampling settings override a base, checked against the table.
func TestSamplerSettings(t *testing.T) {
	base := DefaultSampler()
	c, err := ResolveSampler(base, map[string]any{"sampler": "sgld", "step_size": nil})
	if err != nil || c.Method.String() != "sgld" || c.StepSize != base.StepSize {
		t.Fatalf("%+v, %v", c, err)
	}
	if _, err := ResolveSampler(base, map[string]any{"step_size": 0.0}); err == nil || err.Error() != "step_size must be > 0.0, got 0.0" {
		t.Fatalf("step_size 0: %v", err)
	}
	if _, err := ResolveSampler(base, map[string]any{"steps": 3}); err == nil {
		t.Fatal("a training parameter was taken as a sampler setting")
	}
}

// TestSamplingPlan: the warm-up adapts by default exactly when no step size is given, the
// chains target exp(f) and the noise is not given; its default length; sampling-only
// parameters are refused by ResolveSampler and by training; tempering and fixed noise.
func TestSamplingPlan(t *testing.T) {
	base := DefaultSampler() // AniLA, unadjusted, ε = 1
	for _, c := range []struct {
		given      string
		steps      int
		fixed      bool
		adapt      bool
		warmup     int
		wantErrSub string
	}{
		{`{}`, 1000, false, true, 500, ""},
		{`{}`, 50, false, true, 100, ""},
		{`{"step_size": 0.1}`, 1000, false, false, 0, ""},
		{`{"noise_scale": 0.01}`, 1000, false, false, 0, ""},
		{`{"noise_scale": 0.01, "adjusted": true}`, 1000, false, true, 500, ""},
		{`{"noise_scale": 0.01, "sampler": "hmc"}`, 1000, false, true, 500, ""},
		{`{}`, 1000, true, false, 0, ""},
		{`{"warmup": 30}`, 1000, false, true, 30, ""},
		{`{"adapt": "no", "warmup": 30}`, 1000, false, false, 30, ""},
		{`{"adapt": "yes", "step_size": 0.2}`, 10, false, true, 100, ""},
		{`{"adapt": "yes", "warmup": 0}`, 10, false, true, 0, "warmup must be >= 1 to adapt"},
		{`{"adapt": "yes"}`, 10, true, true, 0, "adapt='yes' cannot run with the noise given"},
		{`{"warmup": 5}`, 10, true, false, 0, "warmup must be 0 or None with the noise given, got 5"},
		{`{"replicas": 3}`, 10, true, false, 0, "replicas must be 1 with the noise given"},
		{`{"replicas": 3, "max_temperature": 0.5}`, 10, false, false, 0, "max_temperature must be > 1.0, got 0.5"},
		{`{"adapt": "maybe"}`, 10, false, false, 0, "adapt must be one of ['auto', 'yes', 'no'], got 'maybe'"},
		{`{"steps": 3}`, 10, false, false, 0, "unknown sampler parameter(s) ['steps']"},
	} {
		s, err := ResolveSampling(base, decode(t, c.given), c.steps, c.fixed, false)
		if c.wantErrSub != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErrSub) {
				t.Errorf("%s: error %v, want %q", c.given, err, c.wantErrSub)
			}
			continue
		}
		if err != nil || s.Adapt != c.adapt || s.Warmup != c.warmup {
			t.Errorf("%s steps=%d fixed=%v: adapt %v warmup %d (%v), want %v %d", c.given, c.steps, c.fixed, s.Adapt, s.Warmup, err, c.adapt, c.warmup)
		}
	}
	// a model's own unadjusted sampler keeps its trained step; other samplers adapt
	for given, want := range map[string]bool{`{}`: false, `{"noise_scale": 1}`: false, `{"adjusted": true}`: true,
		`{"sampler": "hmc"}`: true, `{"sampler": "sgld"}`: true} {
		if s, err := ResolveSampling(base, decode(t, given), 100, false, true); err != nil || s.Adapt != want {
			t.Errorf("trained %s: adapt %v (%v), want %v", given, s.Adapt, err, want)
		}
	}
	if s, _ := ResolveSampling(base, decode(t, `{}`), 0, false, false); s.Adapt || s.Warmup != 0 {
		t.Errorf("no steps: adapt %v, warmup %d", s.Adapt, s.Warmup)
	}
	s, _ := ResolveSampling(base, decode(t, `{"sampler": "hmc", "replicas": 4, "max_temperature": 20, "leapfrog": 7, "mass": "gradient"}`), 10, false, false)
	if s.Sampler.Method != sampler.HMC || s.Sampler.Leapfrog != 7 || s.Sampler.Mass != sampler.GradientMass ||
		s.Tempering != (sampler.Tempering{Replicas: 4, MaxTemperature: 20, Adapt: true}) {
		t.Errorf("hmc with tempering: %+v", s)
	}
	if _, err := ResolveSampler(base, decode(t, `{"replicas": 2}`)); err == nil || !strings.Contains(err.Error(), "unknown sampler parameter(s) ['replicas']") {
		t.Errorf("ResolveSampler took a sampling-only parameter: %v", err)
	}
	if _, err := Resolve(request(t, `{"params": {"warmup": 10}, "shape": [2]}`)); err == nil || !strings.Contains(err.Error(), "unknown parameter(s) ['warmup']") {
		t.Errorf("training took a sampling-only parameter: %v", err)
	}
	// HMC's step is a length: a standardising run scales it by s, not s²
	x := points(400, 2, 3, 5, 1)
	sc := Summarize(x, 400, 2).Scale()
	for _, smp := range []string{"anila", "hmc"} {
		req := request(t, `{"params": {"sampler": "`+smp+`"}, "shape": [2]}`)
		req.Summary = Summarize(x, 400, 2).Flat()
		r, err := Resolve(req)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.005 * sc * sc
		if smp == "hmc" {
			want = 0.005 * sc
		}
		if math.Abs(r.Config.Sampler.StepSize-want) > 1e-15 {
			t.Errorf("%s: step %v, want %v for scale %v", smp, r.Config.Sampler.StepSize, want, sc)
		}
	}
}

func decode(t *testing.T, text string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDescribeResolvesBack: a model's described settings, given back as parameters (with the
// same data), resolve to the same net and configuration, so Model.params can remake a model.
func TestDescribeResolvesBack(t *testing.T) {
	x := points(300, 3, 2, 1, 5)
	for _, params := range []string{`{}`, `{"sampler": "sgld", "hidden": [8], "lr_decay": "cosine", "clamp": [-3, 3], "jump": 0}`,
		`{"standardize": false, "activation": "leakyrelu", "slope": 0, "noise_box": "data", "seed": 11}`} {
		req := request(t, `{"params": `+params+`, "shape": [3]}`)
		req.Summary = Summarize(x, 300, 3).Flat()
		r, err := Resolve(req)
		if err != nil {
			t.Fatal(err)
		}
		back := req
		back.Params = plain(Describe(r.Arch, r.Config, r.Dtype, &r.Plan)).(map[string]any)
		r2, err := Resolve(back)
		if err != nil {
			t.Fatalf("%s: described settings do not resolve: %v", params, err)
		}
		a, b := fmt.Sprintf("%+v %+v %s %+v", r.Arch, r.Config, r.Dtype, r.Plan), fmt.Sprintf("%+v %+v %s %+v", r2.Arch, r2.Config, r2.Dtype, r2.Plan)
		if a != b {
			t.Fatalf("%s:\n first %s\n again %s", params, a, b)
		}
	}
}
