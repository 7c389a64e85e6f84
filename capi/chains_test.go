package capi

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// TestChainsFromBufferDuringTraining starts chains from the replay buffer while the model
// trains on another goroutine, as Python does with the GIL released (fit_more on one thread,
// sample(init="buffer") on another). Run under `go test -race`, it fails if the buffer is
// read without the model's lock.
func TestChainsFromBufferDuringTraining(t *testing.T) {
	h, err := NewModel(`{"params": {"hidden": [16], "buffer_size": 256, "batch_size": 32, "steps": 5}, "shape": [2]}`)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(h)
	m, err := lookupModel(h)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 2*500)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	release, err := m.acquire(true)
	if err != nil {
		t.Fatal(err)
	}
	err = m.setData(unsafe.Pointer(&x[0]), 500)
	release()
	if err != nil {
		t.Fatal(err)
	}
	// Chains made before training starts (NewChains waits for the model's lock, so in
	// Python a sample() that overlaps fit_more gets its chains first, then starts them).
	c, err := NewChains(h, `{"params": {}, "steps": 0}`, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(c)
	var wg sync.WaitGroup
	wg.Add(1)
	done := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(done)
		if _, err := Train(h, 3000); err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(20 * time.Millisecond) // let training begin (scheduling only; nothing is timed)
	for i := 1; ; i++ {
		select {
		case <-done:
			wg.Wait()
			t.Logf("%d chain starts from the buffer during training", i)
			return
		default:
		}
		if err := InitChains(c, "buffer", 0, 0); err != nil {
			t.Fatal(err)
		}
	}
}
