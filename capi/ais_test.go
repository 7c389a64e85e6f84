package capi

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unsafe"
)

// TestAISOnAModelDuringTraining runs AIS on a float32 model's energy (through the float64
// adapter), with its base fitted to the model's data, while the model trains on another
// goroutine: under `go test -race` it fails if AIS reads the parameters without the lock.
func TestAISOnAModelDuringTraining(t *testing.T) {
	h, err := NewModel(`{"params": {"hidden": [16], "buffer_size": 256, "batch_size": 32, "steps": 5}, "shape": [2]}`)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(h)
	m, _ := lookupModel(h)
	x := make([]float32, 2*300)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	release, _ := m.acquire(true)
	err = m.setData(unsafe.Pointer(&x[0]), 300)
	release()
	if err != nil {
		t.Fatal(err)
	}
	a, err := newAIS(h, `{"base": "data", "distributions": 40, "chains": 8}`, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ah := register(a)
	defer Close(ah)
	done := make(chan error, 1)
	go func() { _, err := Train(h, 200); done <- err }()
	left := 40
	for left > 0 {
		if left, err = StepAIS(ah, 7); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s, err := AISResult(ah)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		LogZ      *float64   `json:"log_z"`
		Remaining int        `json:"remaining"`
		BaseMean  []float64  `json:"base_mean"`
		Weights   []*float64 `json:"log_weights"`
	}
	if err := json.Unmarshal([]byte(s), &res); err != nil {
		t.Fatal(err)
	}
	if res.LogZ == nil || res.Remaining != 0 || len(res.BaseMean) != 2 || len(res.Weights) != 8 {
		t.Errorf("result %s", s)
	}
}

func TestAISRequestErrorsNameTheSetting(t *testing.T) {
	g, err := NewGaussianEnergy([]float64{0, 0}, []float64{1, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(g)
	for req, want := range map[string]string{
		`{"base": "given", "mean": [0, 0], "std": [1, 1], "chains": 1}`: "chains must be in",
		`{"base": "given", "mean": [0, 0], "std": [1, 1], "wobble": 1}`: "wobble",
		`{"base": "given", "mean": [0], "std": [1]}`:                    "2 values each",
		`{"base": "data"}`: "needs a trained model",
		`{"base": "given", "mean": [0, 0], "std": [1, 1], "transition": "nuts"}`: "transition must be",
		`{"base": "given", "mean": [0, 0], "std": [1, 1], "temperature": -1}`:    "temperature must be",
		`{"base": "points"}`: "at least 2 points",
		`{"base": "given", "mean": [0, 0], "std": [1, 1], "distributions": 2e9}`: "AIS request",
	} {
		_, err := newAIS(g, req, nil, 0, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to say %q", req, err, want)
		}
	}
	if _, err := newAIS(g, `{"base": "given", "mean": [0, 0], "std": [1, 1], "chains": 4}`, nil, 0, []float64{0, math.NaN(), 0, 0, 0, 0, 0, 0}); err == nil || !strings.Contains(err.Error(), "finite") {
		t.Errorf("NaN start: %v", err)
	}
}
