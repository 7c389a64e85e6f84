package train

import (
	"slices"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
)

// TestSpectralNormTraining: spectral normalisation's u and v advance once per iteration,
// are saved with the model and restored by a divergence's undo, so that a saved and reloaded
// trainer continues bit-identically.
func TestSpectralNormTraining(t *testing.T) {
	arch := nn.Arch{Kind: "layers", In: 2, Layers: []nn.LayerSpec{{Type: "linear", Out: 16, SpectralNorm: true},
		{Type: "silu"}, {Type: "linear", Out: 16, SpectralNorm: true}, {Type: "silu"}, {Type: "linear", Out: 1}}}
	x, _ := data.Toy("8gaussians", 1000, 1)
	cfg := smallConfig()
	tr, err := New[float64](cfg, arch, x, 1000)
	if err != nil {
		t.Fatal(err)
	}
	st0 := tr.Net.SpectralState()
	if _, err := tr.Run(5, nil); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(st0, tr.Net.SpectralState()) {
		t.Fatal("training did not advance the power iteration")
	}
	b, err := tr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Unmarshal[float64](b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Net.SpectralState(), tr.Net.SpectralState()) {
		t.Fatal("the spectral state was not saved")
	}
	if err := again.SetData(x, 1000); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Trainer[float64]{tr, again} {
		if _, err := r.Run(5, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(tr.Params, again.Params) || !slices.Equal(tr.Net.SpectralState(), again.Net.SpectralState()) {
		t.Fatal("a reloaded trainer continues differently")
	}
	before := tr.Net.SpectralState()
	tr.beginIteration()
	tr.Net.PowerStep(tr.Params)
	tr.rewind(false)
	if !slices.Equal(before, tr.Net.SpectralState()) {
		t.Fatal("undo did not restore the spectral state")
	}
}
