package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
	"github.com/anila-ebm/anila/anila/train"
)

// adamEps is Adam's ε (not a parameter of a run).
const adamEps = 1e-8

// Request is what a run is asked to be: the user's parameters as given, the shape of one
// example, the data's summary, and the run's place among data-parallel ranks.
type Request struct {
	// Params are the parameters by their table names, as decoded from JSON with
	// json.Decoder.UseNumber (numbers are json.Number). A null value means "not given",
	// except for a Nullable parameter, where it is the value None.
	Params map[string]any `json:"params"`
	// Shape is one example's shape: (d) for points, (C, H, W) for images.
	Shape []int `json:"shape"`
	// Summary is the training data's Summary in its Flat form; empty without data (an
	// untrained model): boxes then fall back to [-1, 1] and standardisation to the identity.
	Summary []float64 `json:"summary"`
	// Rank and Ranks place a data-parallel rank (Ranks 0 or 1: one process).
	Rank  int `json:"rank"`
	Ranks int `json:"ranks"`
}

// ParseRequest decodes a Request from JSON, numbers as json.Number.
func ParseRequest(text string) (Request, error) {
	var r Request
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("run: the request must be JSON of a run request: %v", err)
	}
	return r, nil
}

// Resolved is a run decided: the net, the trainer's configuration, the element type and the
// run's plan.
type Resolved struct {
	Arch   nn.Arch
	Config train.Config
	Dtype  string
	Plan   train.Plan
}

// IsImage reports whether an energy takes images (N, C, H, W): the conv presets, and
// "layers" nets whose first weighted layer is a convolution.
func IsImage(energy string, layers []nn.LayerSpec) bool {
	if energy == "convnet" || energy == "vanilla" {
		return true
	}
	if energy == "layers" {
		for _, s := range layers {
			if s.Type == "conv2d" || s.Type == "linear" {
				return s.Type == "conv2d"
			}
		}
	}
	return false
}

func shapeText(shape []int) string {
	parts := make([]string, len(shape))
	for i, v := range shape {
		parts[i] = fmt.Sprint(v)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// settings are validated parameter values by name (see Param.value for their types).
type settings map[string]any

func (s settings) int(name string) int       { return int(s[name].(int64)) }
func (s settings) float(name string) float64 { return s[name].(float64) }
func (s settings) bool(name string) bool     { return s[name].(bool) }
func (s settings) str(name string) string    { return s[name].(string) }
func (s settings) box(name string) Box       { return s[name].(Box) }

// isGiven reports whether the user gave parameter name a value (null means not given).
func isGiven(params map[string]any, name string) bool {
	return params[name] != nil
}

// Resolve decides a run: it fills every parameter not given with the table's default for
// the energy's kind of data, checks every value against the table, and derives what
// depends on the data: the MLP's input standardisation (step_size and threshold not given
// are then per unit of the data's scale: η·s² and b/s), the clamp and noise boxes, the
// jump's per-coordinate widths, AniLA's channel count, the learning-rate schedule's length,
// and a data-parallel rank's seed and share of the replay buffer. An error names the
// parameter and its bad value (*Error for a parameter's own value).
func Resolve(r Request) (Resolved, error) {
	var out Resolved
	var unknown []string
	for name := range r.Params {
		if p, ok := Lookup(name); !ok || p.SampleOnly {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var known []string
		for _, p := range Table {
			if !p.SampleOnly {
				known = append(known, p.Name)
			}
		}
		sort.Strings(known)
		return out, typeErr(unknown[0], "unknown parameter(s) %s; known: %s", pyList(unknown), pyList(known))
	}
	given := r.Params
	s := settings{}
	ep, _ := Lookup("energy")
	ev := given["energy"]
	if ev == nil {
		ev = ep.Default
	}
	e, err := ep.value(ev)
	if err != nil {
		return out, err
	}
	energy := e.(string)
	var specs []nn.LayerSpec
	if energy == "layers" {
		lp, _ := Lookup("layers")
		v, err := lp.value(given["layers"])
		if err != nil {
			return out, err
		}
		b, _ := json.Marshal(v)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&specs); err != nil {
			return out, valueErr("layers", "layers must be a JSON list of layer specs: %v", err)
		}
	} else if given["layers"] != nil {
		return out, valueErr("layers", "layers is for energy='layers' (or energy=anila.nn.Sequential(...)), not energy='%s'", energy)
	}
	image := IsImage(energy, specs)
	for _, p := range Table {
		if p.Name == "energy" || p.Name == "layers" || p.SampleOnly {
			continue
		}
		v, ok := given[p.Name]
		if !ok || (v == nil && !p.Nullable) {
			v = plain(p.defaultOf(image))
		}
		val, err := p.value(v)
		if err != nil {
			return out, err
		}
		s[p.Name] = val
	}
	if s.bool("adjusted") && s.float("noise_scale") == 0 {
		return out, valueErr("noise_scale", "noise_scale must be > 0 for an adjusted sampler, got 0.0")
	}
	if s.str("init") == "buffer" && s.int("buffer_size") < s.int("batch_size") {
		return out, valueErr("buffer_size", "buffer_size must be >= batch_size (%d), got %d", s.int("batch_size"), s.int("buffer_size"))
	}

	// the data's shape
	shape := r.Shape
	if len(shape) == 0 {
		return out, fmt.Errorf("run: the request has no example shape")
	}
	for _, v := range shape {
		if v < 1 || v > 1<<24 {
			return out, valueErr("dim", "dim must be positive and at most %d per axis, got %s", 1<<24, shapeText(shape))
		}
	}
	dim := 1
	for _, v := range shape {
		dim *= v
	}
	if image && len(shape) != 3 {
		return out, valueErr("X", "X must be images (N, C, H, W) or (N, H, W) for energy='%s' (for new_model, dim the image shape (C, H, W)), got examples of shape %s", energy, shapeText(shape))
	}
	if !image && len(shape) != 1 {
		return out, valueErr("X", "X must be 2-D (n_samples, n_features) for energy='%s', got examples of shape %s", energy, shapeText(shape))
	}
	if image {
		s["channels"] = int64(shape[0])
	}
	var data *Summary
	if len(r.Summary) > 0 {
		d, err := FromFlat(r.Summary)
		if err != nil {
			return out, err
		}
		if d.Dim() != dim {
			return out, fmt.Errorf("run: the data summary has dimension %d, the examples %d", d.Dim(), dim)
		}
		data = &d
	}

	// standardisation, and the step size and threshold per unit of the data's scale
	stepSize, threshold := s.float("step_size"), s.float("threshold")
	scale := 1.0
	if data != nil {
		scale = data.Scale()
	}
	var shift []float64
	// Without data there is nothing to standardise by: the net sees x as it is.
	standardizes := s.bool("standardize") && energy == "mlp" && data != nil
	if standardizes {
		shift = make([]float64, dim)
		for j := range shift {
			shift[j] = data.Mean(j)
		}
		if !isGiven(given, "step_size") {
			// Langevin's γ is a squared length; HMC's h a length
			if s.str("sampler") == "hmc" {
				stepSize *= scale
			} else {
				stepSize *= scale * scale
			}
		}
		if !isGiven(given, "threshold") {
			threshold /= scale
		}
	}
	// the jump's width per coordinate, in data units
	width := []float64{s.float("jump_width")}
	if data != nil {
		width = make([]float64, dim)
		for j := range width {
			sd := data.Std(j)
			if !(sd > 0) {
				sd = scale
			}
			width[j] = sd * s.float("jump_width")
		}
	}
	clampLo, clampHi := clampBox(s.box("clamp"), data)
	noiseLo, noiseHi := noiseBox(s.box("noise_box"), image, data, clampLo, clampHi)

	// the net
	arch := nn.Arch{Kind: energy, In: dim}
	switch energy {
	case "mlp":
		arch.Hidden, arch.Activation, arch.Slope = s["hidden"].([]int), s.str("activation"), s.float("slope")
		if standardizes {
			arch.InShift, arch.InScale = shift, scale
		}
	case "convnet", "vanilla":
		arch.Activation, arch.Slope, arch.NF = "leakyrelu", s.float("slope"), s.int("nf")
	case "layers":
		arch.Layers = specs
	}
	if image {
		arch.Channels, arch.Height, arch.Width = shape[0], shape[1], shape[2]
	}
	if _, err := nn.Build[float32](arch); err != nil {
		name := "energy"
		if energy == "layers" {
			name = "layers"
		}
		return out, valueErr(name, "%v", err)
	}

	// the trainer's configuration
	method, _ := sampler.ParseMethod(s.str("sampler"))
	aniso, _ := sampler.ParseAnisotropy(s.str("anisotropy"))
	mass, _ := sampler.ParseMass(s.str("mass"))
	init, _ := train.ParseChainInit(s.str("init"))
	opt, _ := train.ParseOptimizer(s.str("optimizer"))
	ranks := max(r.Ranks, 1)
	if r.Rank < 0 || r.Rank >= ranks {
		return out, fmt.Errorf("run: rank %d of %d", r.Rank, ranks)
	}
	seed := uint64(s[("seed")].(int64))
	betas := s["betas"].([2]float64)
	lrDecay := 0
	if s.str("lr_decay") == "cosine" {
		lrDecay = s.int("iterations")
	}
	cfg := train.Config{
		Sampler: sampler.Config{Method: method, Adjusted: s.bool("adjusted"), StepSize: stepSize, Threshold: threshold,
			NoiseScale: s.float("noise_scale"), Anisotropy: aniso, Channels: s.int("channels"), Lo: clampLo, Hi: clampHi,
			Leapfrog: s.int("leapfrog"), Mass: mass},
		Steps: s.int("steps"), BatchSize: s.int("batch_size"), Init: init,
		BufferSize: (s.int("buffer_size") + ranks - 1) / ranks, Reinit: s.float("reinit"),
		Optimizer: opt, LR: s.float("lr"), Beta1: betas[0], Beta2: betas[1], Eps: adamEps, Momentum: s.float("momentum"),
		LRDecay: lrDecay, LRFloor: s.float("lr_floor"), ThresholdQuantile: s.float("threshold_quantile"),
		Jump: s.float("jump"), JumpWidth: width, EMA: s.float("ema"),
		L2: s.float("l2"), DataNoise: s.float("data_noise"), GradClip: s.float("grad_clip"),
		Recover: s.int("recover"), DataInit: s.bool("data_init"), NoiseLo: noiseLo, NoiseHi: noiseHi,
		Seed: RankSeed(seed, r.Rank),
	}
	if err := cfg.Validate(dim); err != nil {
		return out, err
	}
	plan := train.Plan{Iterations: s.int("iterations"), Seed: seed, BufferSize: s.int("buffer_size"), Clamp: boxSetting(s.box("clamp")),
		NoiseBox: boxSetting(s.box("noise_box")), JumpWidth: s.float("jump_width"), Standardize: s.bool("standardize")}
	if ranks > 1 {
		plan.Ranks, plan.Rank = ranks, r.Rank
	}
	return Resolved{Arch: arch, Config: cfg, Dtype: s.str("dtype"), Plan: plan}, nil
}

// plain turns a table default into what decoded JSON holds (numbers as json.Number, lists
// as []any), so that defaults pass the same checks as given values.
func plain(v any) any {
	b, _ := json.Marshal(v)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	_ = dec.Decode(&out)
	return out
}

// RankSeed is the seed of rank r's random stream in a run seeded with seed: seed itself on
// rank 0 (so one process reproduces single-process training), a well-mixed other seed on the
// other ranks (63 bits, like every seed).
func RankSeed(seed uint64, rank int) uint64 {
	if rank == 0 {
		return seed
	}
	return (seed + uint64(rank)*0x9E3779B97F4A7C15) % (1 << 63)
}

// boxSetting is a box as given, for the Plan: its word, nil, or [lo, hi].
func boxSetting(b Box) any {
	switch {
	case b.Null:
		return nil
	case b.Word != "":
		return b.Word
	}
	return []float64{b.Lo, b.Hi}
}

// clampBox is the box samples are clamped to ((0, 0): none): "data" is the data's range,
// "auto" widens it by 20% of its width on each side; without data the words mean none.
func clampBox(b Box, data *Summary) (lo, hi float64) {
	switch {
	case b.Null:
		return 0, 0
	case b.Word == "":
		return b.Lo, b.Hi
	case data == nil:
		return 0, 0
	}
	lo, hi = data.Range()
	if b.Word == "data" {
		if lo < hi {
			return lo, hi
		}
		return lo - 1e-6, hi + 1e-6
	}
	w := math.Max(hi-lo, 1e-6)
	return lo - 0.2*w, hi + 0.2*w
}

// noiseBox is the box chains start from noise in: "central" (Summary.CentralBox), "data"
// (the data's range, widened by 1 on each side when it has no width), "auto" ("data" for
// images, "central" otherwise) or the pair given. Without data, a word means the clamp box
// when there is one, else [-1, 1].
func noiseBox(b Box, image bool, data *Summary, clampLo, clampHi float64) (lo, hi float64) {
	if b.Word == "" {
		return b.Lo, b.Hi
	}
	if data == nil {
		if clampLo < clampHi {
			return clampLo, clampHi
		}
		return -1, 1
	}
	word := b.Word
	if word == "auto" {
		word = "central"
		if image {
			word = "data"
		}
	}
	if word == "central" {
		return data.CentralBox()
	}
	lo, hi = data.Range()
	if !(lo < hi) {
		return lo - 1, hi + 1
	}
	return lo, hi
}

// Defaults are every parameter's default for an energy (its name, and for "layers" its
// layer specs): the image defaults for energies on images. step_size and threshold are the
// table's, before any scaling by the data.
func Defaults(energy string, layers []nn.LayerSpec) map[string]any {
	image := IsImage(energy, layers)
	out := make(map[string]any, len(Table))
	for _, p := range Table {
		if !p.SampleOnly {
			out[p.Name] = p.defaultOf(image)
		}
	}
	out["energy"] = energy
	if energy == "layers" {
		out["layers"] = layers
	}
	return out
}
