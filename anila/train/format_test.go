package train

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/sampler"
)

// TestLoadsFormat1 reads a model file written by anila before format version 2 (enums stored
// as integers; testdata/format1_mlp.anila, an AniLA MLP with per-chain anisotropy, SGD and a
// replay buffer) and checks its settings and its energies on four rings points against those
// recorded when it was written.
func TestLoadsFormat1(t *testing.T) {
	b, err := os.ReadFile("testdata/format1_mlp.anila")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Unmarshal[float32](b)
	if err != nil {
		t.Fatal(err)
	}
	c := tr.Config
	if c.Sampler.Method != sampler.AniLA || c.Sampler.Anisotropy != sampler.PerChain || c.Optimizer != SGD || c.Init != InitBuffer {
		t.Fatalf("settings read as %v, %v, %v, %v", c.Sampler.Method, c.Sampler.Anisotropy, c.Optimizer, c.Init)
	}
	raw, err := os.ReadFile("testdata/format1_mlp.energies.txt")
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	for _, f := range strings.Fields(string(raw)) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	x64, _ := data.Toy("rings", 500, 0)
	x := make([]float32, 8)
	for i := range x {
		x[i] = float32(x64[i])
	}
	f := make([]float32, 4)
	tr.energy.Forward(x, 4, f)
	for i := range want {
		if math.Abs(float64(f[i])-want[i]) > 1e-6*(1+math.Abs(want[i])) {
			t.Fatalf("energy %d = %v, recorded %v", i, f[i], want[i])
		}
	}
	// Saved again, it is format 2 with the enums by name, and reads back the same.
	b2, err := tr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b2, []byte(`"Method":"anila"`)) || !bytes.Contains(b2, []byte(`"Optimizer":"sgd"`)) {
		t.Fatal("format 2 does not name the enums")
	}
	tr2, err := Unmarshal[float32](b2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tr2.Config, tr.Config) {
		t.Fatalf("config changed in the round trip: %+v vs %+v", tr2.Config, tr.Config)
	}
}

// TestEnumJSON: names round-trip, old integers read, bad names and integers are errors.
func TestEnumJSON(t *testing.T) {
	var m sampler.Method
	if err := json.Unmarshal([]byte(`1`), &m); err != nil || m != sampler.AniLA {
		t.Fatalf("integer 1: %v, %v", m, err)
	}
	if err := json.Unmarshal([]byte(`"sgld"`), &m); err != nil || m != sampler.SGLD {
		t.Fatalf("name: %v, %v", m, err)
	}
	for _, bad := range []string{`"nuts"`, `7`, `-1`, `true`} {
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("%s accepted as a sampler", bad)
		}
	}
	var o Optimizer
	if err := json.Unmarshal([]byte(`"adamw"`), &o); err == nil || !strings.Contains(err.Error(), "adamw") {
		t.Errorf("bad optimizer name: %v", err)
	}
}
