package train

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

var smallArch = nn.Arch{Kind: "mlp", In: 2, Hidden: []int{32, 32}, Activation: "silu"}

func smallConfig() Config {
	c := referenceConfig()
	c.Steps, c.BatchSize, c.BufferSize = 5, 100, 1000
	c.Seed = 11
	return c
}

func newTrainer(t *testing.T, cfg Config) *Trainer[float64] {
	t.Helper()
	x, _ := data.Toy("8gaussians", 2000, 1)
	tr, err := New[float64](cfg, smallArch, x, 2000)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestDeterministicAcrossThreads trains the same run with 1, 2 and 3 threads.
func TestDeterministicAcrossThreads(t *testing.T) {
	var ref []float64
	for _, th := range []int{1, 2, 3} {
		nn.SetThreads(th)
		tr := newTrainer(t, smallConfig())
		if _, err := tr.Run(30, nil); err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = append([]float64(nil), tr.Params...)
			continue
		}
		for i := range ref {
			if tr.Params[i] != ref[i] {
				t.Fatalf("threads=%d: parameter %d = %v, with 1 thread %v", th, i, tr.Params[i], ref[i])
			}
		}
	}
	nn.SetThreads(0)
}

// TestCheckpointResumeIsBitIdentical saves mid-run, reloads, and continues.
func TestCheckpointResumeIsBitIdentical(t *testing.T) {
	for _, init := range []ChainInit{InitBuffer, InitNoise, InitData} {
		t.Run(init.String(), func(t *testing.T) {
			cfg := smallConfig()
			cfg.Init = init
			cfg.DataNoise = 0.01
			whole := newTrainer(t, cfg)
			whole.Run(20, nil)

			part := newTrainer(t, cfg)
			part.Run(10, nil)
			part.Plan = &Plan{Iterations: 20, CheckpointEvery: 10, Seed: 7, Clamp: "auto", JumpWidth: 0.05}
			path := filepath.Join(t.TempDir(), "m.anila")
			if err := part.Save(path); err != nil {
				t.Fatal(err)
			}
			back, err := Load[float64](path)
			if err != nil {
				t.Fatal(err)
			}
			x, n := part.Data()
			back.SetData(x, n)
			back.Run(10, nil)
			for i := range whole.Params {
				if back.Params[i] != whole.Params[i] {
					t.Fatalf("parameter %d after resume %v, uninterrupted %v", i, back.Params[i], whole.Params[i])
				}
			}
			if back.Plan == nil || back.Plan.Iterations != 20 || back.Plan.CheckpointEvery != 10 || back.Plan.Seed != 7 ||
				back.Plan.Clamp != "auto" || back.Plan.JumpWidth != 0.05 {
				t.Fatalf("plan after resume %+v, saved %+v", back.Plan, part.Plan)
			}
			if back.History.Len() != 20 || back.Iter != 20 {
				t.Fatalf("history %d, iter %d after resume, want 20", back.History.Len(), back.Iter)
			}
		})
	}
}

func TestCheckpointCorruptionDetected(t *testing.T) {
	tr := newTrainer(t, smallConfig())
	tr.Run(3, nil)
	b, err := tr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	flip := append([]byte(nil), b...)
	flip[len(flip)/2] ^= 1
	cases := map[string][]byte{
		"flipped byte": flip,
		"truncated":    b[:len(b)-100],
		"empty":        {},
		"foreign":      []byte("PK\x03\x04 this is a zip file, not a model, padded to be long enough......"),
	}
	for name, bad := range cases {
		if _, err := Unmarshal[float64](bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Unmarshal[float32](b); err == nil || !strings.Contains(err.Error(), "float64") {
		t.Errorf("wrong dtype: %v", err)
	}
	// A failed save leaves the old file whole.
	dir := t.TempDir()
	path := filepath.Join(dir, "m.anila")
	tr.Save(path)
	old, _ := os.ReadFile(path)
	if err := WriteAtomic(filepath.Join(dir, "missing", "x"), []byte("x")); err == nil {
		t.Error("write into a missing folder succeeded")
	}
	now, _ := os.ReadFile(path)
	if !bytes.Equal(old, now) {
		t.Error("file changed")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestDivergenceStopsTraining blows the energy up and expects a DivergenceError that leaves
// the parameters finite.
func TestDivergenceStopsTraining(t *testing.T) {
	cfg := smallConfig()
	cfg.L2 = 0
	cfg.LR = 1e6 // absurd: the energy overflows within a few iterations
	cfg.Optimizer = SGD
	tr := newTrainer(t, cfg)
	_, err := tr.Run(200, nil)
	var de *DivergenceError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DivergenceError", err)
	}
	// The trainer is left as it was when its energies were last finite: before the failed
	// iteration, or before the update that made the failed iteration's energies overflow.
	if de.Iter != tr.Iter+1 && de.Iter != tr.Iter+2 {
		t.Errorf("error names iteration %d, trainer is at %d", de.Iter, tr.Iter)
	}
	if tr.History.Len() != tr.Iter {
		t.Errorf("history has %d entries at iteration %d", tr.History.Len(), tr.Iter)
	}
	x, n := tr.Data()
	f := make([]float64, n)
	tr.energy.Forward(x, n, f)
	for _, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("energy %v after the rollback", v)
		}
	}
	for _, p := range tr.Params {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			t.Fatal("parameters were left non-finite")
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Steps = 0 }, "steps"},
		{func(c *Config) { c.BatchSize = -1 }, "batch_size"},
		{func(c *Config) { c.BufferSize = 10 }, "buffer_size"},
		{func(c *Config) { c.Reinit = 2 }, "reinit"},
		{func(c *Config) { c.LR = math.NaN() }, "lr"},
		{func(c *Config) { c.Beta2 = 1 }, "beta2"},
		{func(c *Config) { c.L2 = -1 }, "l2"},
		{func(c *Config) { c.Sampler.StepSize = 0 }, "step_size"},
		{func(c *Config) { c.Sampler.Method = sampler.Method(9) }, "sampler"},
	} {
		cfg := smallConfig()
		c.mut(&cfg)
		err := cfg.Validate(2)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one naming %q", err, c.want)
		}
	}
}

func TestHugeModelsRefusedBeforeAllocating(t *testing.T) {
	arch := nn.Arch{Kind: "mlp", In: 2, Hidden: []int{65536, 65536}, Activation: "silu"}
	if _, err := New[float32](smallConfig(), arch, nil, 0); err == nil || !strings.Contains(err.Error(), "GiB") {
		t.Fatalf("a 4-billion-parameter net: %v", err)
	}
	cfg := smallConfig()
	cfg.BufferSize = 1 << 40
	if _, err := New[float32](cfg, smallArch, nil, 0); err == nil || !strings.Contains(err.Error(), "buffer_size") {
		t.Fatalf("a 2^40-chain buffer: %v", err)
	}
	if got := smallArch.NumParams(); got != int64(3*32+33*32+33) {
		t.Fatalf("NumParams %d", got)
	}
}

// TestRecoverFromDivergence injects a blow-up (an absurd learning rate) and expects the run
// to roll back, halve the learning rate until it is stable, and finish.
func TestRecoverFromDivergence(t *testing.T) {
	cfg := smallConfig()
	cfg.L2 = 0
	cfg.LR = 1e6
	cfg.Optimizer = SGD
	cfg.Recover = 40
	tr := newTrainer(t, cfg)
	n, err := tr.Run(150, nil)
	if err != nil {
		t.Fatalf("after %d iterations: %v", n, err)
	}
	if tr.Iter != 150 || tr.History.Len() != 150 {
		t.Fatalf("iter %d, history %d, want 150", tr.Iter, tr.History.Len())
	}
	if len(tr.Recoveries) == 0 || tr.Config.LR >= 1e6 {
		t.Fatalf("recoveries %v, lr %g: nothing was recovered", tr.Recoveries, tr.Config.LR)
	}
	if want := 1e6 / math.Pow(2, float64(len(tr.Recoveries))); tr.Config.LR != want {
		t.Fatalf("lr %g after %d recoveries, want %g", tr.Config.LR, len(tr.Recoveries), want)
	}
	for _, p := range tr.Params {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			t.Fatal("non-finite parameter after recovery")
		}
	}
	t.Logf("recovered at iterations %v; lr now %g", tr.Recoveries, tr.Config.LR)
	// with recovery exhausted the error comes back
	cfg.Recover = 1
	tr = newTrainer(t, cfg)
	if _, err := tr.Run(150, nil); err == nil {
		t.Fatal("one recovery was enough for lr 1e6?")
	}
}
