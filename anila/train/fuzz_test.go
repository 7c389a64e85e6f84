package train

import (
	"math"
	"testing"

	"github.com/anila-ebm/anila/anila/sampler"
)

// FuzzUnmarshal feeds arbitrary bytes to the checkpoint decoder: it must return an error or
// a usable trainer, never panic. The seed corpus (a real checkpoint, cut and flipped) runs
// with the ordinary tests; run longer with
//
//	go test ./anila/train -run '^$' -fuzz FuzzUnmarshal -fuzztime 5m
func FuzzUnmarshal(f *testing.F) {
	cfg := smallConfig()
	cfg.BufferSize = 100
	cfg.BatchSize = 10
	tr, err := New[float64](cfg, smallArch, nil, 0)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := tr.Marshal()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte(Magic))
	flipped := append([]byte(nil), good...)
	flipped[30] ^= 0xff
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Unmarshal[float64](b)
		if err == nil && len(tr.Params) != tr.Net.NumParams() {
			t.Fatalf("decoded %d parameters for a net of %d", len(tr.Params), tr.Net.NumParams())
		}
		Unmarshal[float32](b)
	})
}

// FuzzConfig checks that validation never panics and that whatever it accepts (at a small
// size) builds a trainer that runs one iteration without panicking. Run longer with
//
//	go test ./anila/train -run '^$' -fuzz FuzzConfig -fuzztime 5m
func FuzzConfig(f *testing.F) {
	f.Add(uint8(1), 0.01, 1.0, 1.0, uint8(0), false, 5, 16, uint8(2), 64, 0.05, uint8(0), 1e-3, 0.9, 0.999, 0.1, 0.0, 0.0, -4.5, 4.5)
	f.Add(uint8(0), math.NaN(), -1.0, math.Inf(1), uint8(9), true, 0, -1, uint8(7), 0, 2.0, uint8(5), 0.0, 1.0, 1.0, -1.0, math.NaN(), -3.0, 1.0, -1.0)
	f.Fuzz(func(t *testing.T, method uint8, eta, b, eps float64, aniso uint8, adj bool, steps, batch int,
		init uint8, buf int, reinit float64, opt uint8, lr, b1, b2, l2, noise, clip, lo, hi float64) {
		c := Config{
			Sampler: sampler.Config{Method: sampler.Method(method), StepSize: eta, Threshold: b, NoiseScale: eps,
				Anisotropy: sampler.Anisotropy(aniso), Channels: 1, Adjusted: adj, Lo: lo, Hi: hi},
			Steps: steps % 8, BatchSize: batch % 64, Init: ChainInit(init), BufferSize: buf % 512, Reinit: reinit,
			Optimizer: Optimizer(opt), LR: lr, Beta1: b1, Beta2: b2, Eps: 1e-8, L2: l2, DataNoise: noise, GradClip: clip,
		}
		if c.Validate(2) != nil {
			return
		}
		x := []float64{0, 1, 2, 3, -1, 0.5, 3, -2}
		tr, err := New[float64](c, smallArch, x, 4)
		if err != nil {
			return
		}
		tr.Run(1, nil) // a DivergenceError is fine; a panic is not
	})
}
