package capi

/*
#include <stdint.h>
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/metric"
)

// Return codes of the data-plane functions.
const (
	rcOK       = 0
	rcBadInput = 1 // a Python ValueError
	rcInternal = 2 // a recovered panic: a Python RuntimeError
)

// exportNames lists the //export functions in the order of the table in table.c.
var exportNames = []string{"anila_set_data", "anila_energy", "anila_params", "anila_history",
	"anila_chains_positions", "anila_toy", "anila_mmd", "anila_chains_step_fixed", "anila_train_step", "anila_param_grad", "anila_images_copy",
	"anila_sliced_wasserstein", "anila_chain_diagnostics"}

func writeErr(buf *C.char, n C.longlong, msg string) {
	if buf == nil || n <= 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
	k := copy(b[:len(b)-1], msg)
	b[k] = 0
}

// call runs fn, turning an error or a panic into a return code and a message.
func call(buf *C.char, n C.longlong, fn func() error) (rc C.int) {
	defer func() {
		if r := recover(); r != nil {
			writeErr(buf, n, fmt.Sprintf("internal error (please report): %v", r))
			rc = rcInternal
		}
	}()
	if err := fn(); err != nil {
		writeErr(buf, n, err.Error())
		return rcBadInput
	}
	return rcOK
}

func lookupEvaluator(h int64) (evaluator, error) {
	o, err := lookup(h)
	if err != nil {
		return nil, err
	}
	ev, ok := o.(evaluator)
	if !ok {
		return nil, fmt.Errorf("handle %d is not an energy", h)
	}
	return ev, nil
}

// withModel runs fn on model h while holding its lock, after checking that d is the
// model's dimension (d < 0: no check).
func withModel(h, d C.longlong, fn func(m model) error) error {
	m, err := lookupModel(int64(h))
	if err != nil {
		return err
	}
	if d >= 0 {
		if err := checkDim(d, m.dim()); err != nil {
			return err
		}
	}
	m.lock().Lock()
	defer m.lock().Unlock()
	return fn(m)
}

func checkDim(got C.longlong, want int) error {
	if int(got) != want {
		return fmt.Errorf("X has %d columns, the model's dimension is %d", int64(got), want)
	}
	return nil
}

//export anila_set_data
func anila_set_data(h C.longlong, x unsafe.Pointer, n, d C.longlong, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withModel(h, d, func(m model) error {
			return m.setData(x, int(n))
		})
	})
}

//export anila_energy
func anila_energy(h C.longlong, x unsafe.Pointer, n, d C.longlong, f, g unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		ev, err := lookupEvaluator(int64(h))
		if err != nil {
			return err
		}
		if err := checkDim(d, ev.dim()); err != nil {
			return err
		}
		ev.lock().Lock()
		defer ev.lock().Unlock()
		return ev.energyGrad(x, f, g, int(n))
	})
}

//export anila_params
func anila_params(h C.longlong, p unsafe.Pointer, n C.longlong, set C.int, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withModel(h, -1, func(m model) error {
			return m.params(p, int(n), set != 0)
		})
	})
}

//export anila_history
func anila_history(h C.longlong, field C.longlong, dst *C.double, n C.longlong, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withModel(h, -1, func(m model) error {
			if int(n) != m.historyLen() {
				return fmt.Errorf("history has %d entries, buffer holds %d", m.historyLen(), int64(n))
			}
			return m.history(int(field), slice[float64](unsafe.Pointer(dst), int(n)))
		})
	})
}

//export anila_chains_positions
func anila_chains_positions(h C.longlong, p unsafe.Pointer, n C.longlong, set C.int, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		c, err := lookupChains(int64(h))
		if err != nil {
			return err
		}
		return c.positions(p, int(n), set != 0)
	})
}

//export anila_toy
func anila_toy(name *C.char, n C.longlong, seed C.longlong, out *C.double, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		x, err := data.Toy(C.GoString(name), int(n), uint64(seed))
		if err != nil {
			return err
		}
		copy(slice[float64](unsafe.Pointer(out), 2*int(n)), x)
		return nil
	})
}

//export anila_sliced_wasserstein
func anila_sliced_wasserstein(x unsafe.Pointer, n C.longlong, y unsafe.Pointer, m C.longlong, d C.longlong, proj C.longlong, seed C.longlong, out *C.double, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		v, err := metric.SlicedWasserstein(slice[float64](x, int(n*d)), int(n), slice[float64](y, int(m*d)), int(m), int(d), int(proj), uint64(seed))
		if err != nil {
			return err
		}
		*out = C.double(v)
		return nil
	})
}

// anila_chain_diagnostics writes split R̂ and ESS of draws (chains × n) into out[0:2].
//
//export anila_chain_diagnostics
func anila_chain_diagnostics(draws unsafe.Pointer, chains C.longlong, n C.longlong, out unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		x := slice[float64](draws, int(chains*n))
		r, err := metric.SplitRHat(x, int(chains), int(n))
		if err != nil {
			return err
		}
		e, err := metric.ESS(x, int(chains), int(n))
		if err != nil {
			return err
		}
		o := slice[float64](out, 2)
		o[0], o[1] = r, e
		return nil
	})
}

//export anila_mmd
func anila_mmd(x unsafe.Pointer, n C.longlong, y unsafe.Pointer, m C.longlong, d C.longlong, sigma C.double, out *C.double, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		v, err := metric.MMD2(slice[float64](x, int(n*d)), int(n), slice[float64](y, int(m*d)), int(m), int(d), float64(sigma))
		if err != nil {
			return err
		}
		*out = C.double(v)
		return nil
	})
}

//export anila_chains_step_fixed
func anila_chains_step_fixed(h C.longlong, steps C.longlong, normals unsafe.Pointer, nNormals C.longlong, uniforms unsafe.Pointer, nUniforms C.longlong, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		c, err := lookupChains(int64(h))
		if err != nil {
			return err
		}
		return c.stepFixed(int(steps), normals, int(nNormals), uniforms, int(nUniforms))
	})
}

//export anila_train_step
func anila_train_step(h C.longlong, batch, z0, normals unsafe.Pointer, nNormals C.longlong, uniforms unsafe.Pointer, nUniforms C.longlong, zOut unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withModel(h, -1, func(m model) error {
			return m.trainStep(batch, z0, normals, int(nNormals), uniforms, int(nUniforms), zOut)
		})
	})
}

//export anila_param_grad
func anila_param_grad(h C.longlong, x unsafe.Pointer, n, d C.longlong, w, dst unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withModel(h, d, func(m model) error {
			return m.paramGrad(x, w, dst, int(n))
		})
	})
}

//export anila_images_copy
func anila_images_copy(h C.longlong, dst unsafe.Pointer, n C.longlong, labels unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		o, err := lookupImages(int64(h))
		if err != nil {
			return err
		}
		im := o.im
		if int(n) != len(im.Pixels) {
			return fmt.Errorf("buffer holds %d values, the images %d", int64(n), len(im.Pixels))
		}
		data.Scale(slice[float32](dst, len(im.Pixels)), im.Pixels)
		if labels != nil && im.Labels != nil {
			copy(slice[byte](labels, len(im.Labels)), im.Labels)
		}
		return nil
	})
}
