package capi

import (
	"fmt"
	"sync"
)

// object is anything Python holds by handle.
type object interface {
	close()
}

var (
	regMu   sync.Mutex
	objects = map[int64]object{}
	nextID  int64
)

func register(o object) int64 {
	regMu.Lock()
	defer regMu.Unlock()
	nextID++
	objects[nextID] = o
	return nextID
}

func lookup(h int64) (object, error) {
	regMu.Lock()
	defer regMu.Unlock()
	o, ok := objects[h]
	if !ok {
		return nil, fmt.Errorf("handle %d is closed or was never valid", h)
	}
	return o, nil
}

// lookupAs is lookup for a handle that must hold a T (what names T in the error).
func lookupAs[T any](h int64, what string) (T, error) {
	var zero T
	o, err := lookup(h)
	if err != nil {
		return zero, err
	}
	t, ok := o.(T)
	if !ok {
		return zero, fmt.Errorf("handle %d is not %s", h, what)
	}
	return t, nil
}

// Close frees the object behind handle h. Closing a closed handle does nothing.
func Close(h int64) {
	regMu.Lock()
	o, ok := objects[h]
	delete(objects, h)
	regMu.Unlock()
	if ok {
		o.close()
	}
}

// LiveHandles is the number of objects not yet closed.
func LiveHandles() int {
	regMu.Lock()
	defer regMu.Unlock()
	return len(objects)
}

// guard turns a panic into an error; use as defer guard(&err).
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error (please report): %v", r)
	}
}

// offThread runs fn in a new goroutine and waits for it. A call from C (Python) runs on a
// goroutine locked to the calling OS thread; every time such a goroutine blocks, waiting for
// the worker pool, waking it means an OS thread switch. Work that waits for the pool many
// times per call (each Langevin step does) runs on an ordinary goroutine instead, and the
// C thread blocks once. A panic in fn is re-raised in the caller.
func offThread(fn func() error) error {
	type result struct {
		err   error
		panic any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			r.panic = recover()
			done <- r
		}()
		r.err = fn()
	}()
	r := <-done
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}
