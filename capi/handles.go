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
