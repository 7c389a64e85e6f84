package capi

/*
#include <stdint.h>
typedef int (*anila_energy_fn)(long long n, long long d, const double *x, double *f, double *g);

// anila_call_energy calls a caller-supplied energy function (from Python, a ctypes callback).
static int anila_call_energy(uintptr_t fn, long long n, long long d, const double *x, double *f, double *g) {
	return ((anila_energy_fn)fn)(n, d, x, f, g);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// errCallback reports that the caller's energy function failed; Python re-raises the
// exception its callback caught.
var errCallback = errors.New("the energy function failed (its exception is re-raised by the caller)")

// callbackEnergy is an energy the caller computes: a C function
// int fn(n, d, x (n×d), f (n), g (n×d)) that returns 0 on success. Go calls it once per
// Langevin step with the whole batch, on the goroutine that runs the chains. The memory it
// is handed is valid for the call only. After a failure it is not called again: f and g are
// NaN and err reports the failure until reset.
type callbackEnergy struct {
	fn     C.uintptr_t // the C function's address
	d      int
	failed bool
}

func (e *callbackEnergy) Dim() int { return e.d }

func (e *callbackEnergy) EnergyGrad(x []float64, n int, f, g []float64) {
	if n == 0 {
		return
	}
	if !e.failed {
		var pg *C.double
		if len(g) >= n*e.d {
			pg = (*C.double)(unsafe.Pointer(&g[0]))
		}
		rc := C.anila_call_energy(e.fn, C.longlong(n), C.longlong(e.d), (*C.double)(unsafe.Pointer(&x[0])),
			(*C.double)(unsafe.Pointer(&f[0])), pg)
		e.failed = rc != 0
	}
	if e.failed {
		for i := range f[:n] {
			f[i] = math.NaN()
		}
		for i := range g {
			g[i] = math.NaN()
		}
	}
}

// err reports a failure of the callback since the last reset.
func (e *callbackEnergy) err() error {
	if e.failed {
		return errCallback
	}
	return nil
}

func (e *callbackEnergy) reset() { e.failed = false }

// NewCallbackEnergy makes the energy of a function the caller computes, in dim dimensions:
// fn is the address of a C function int fn(long long n, long long d, const double *x,
// double *f, double *g) that writes f(x_i) into f and ∇f(x_i) into g (n×d, row-major; g may
// be NULL when only f is wanted) and returns 0, or non-zero to stop the sampler with an
// error. The function must stay valid until the handle is closed.
func NewCallbackEnergy(fn int64, dim int) (h int64, err error) {
	defer guard(&err)
	if fn == 0 {
		return 0, fmt.Errorf("the energy function's address is 0")
	}
	if dim < 1 || dim > 1<<24 {
		return 0, fmt.Errorf("dim must be in [1, %d], got %d", 1<<24, dim)
	}
	return register(&analytic{e: &callbackEnergy{fn: C.uintptr_t(fn), d: dim}}), nil
}
