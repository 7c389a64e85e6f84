package capi

/*
#include <stdint.h>
typedef int (*anila_grad_fn)(long long iter, void *grad, long long n);

// anila_call_grad calls a caller-supplied gradient hook (from Python, a ctypes callback).
static int anila_call_grad(uintptr_t fn, long long iter, void *grad, long long n) {
	return ((anila_grad_fn)fn)(iter, grad, n);
}
*/
import "C"

import (
	"errors"
	"runtime"
	"syscall"
	"unsafe"
)

// errGradHook reports that the caller's gradient hook failed; Python re-raises the exception
// its callback caught.
var errGradHook = errors.New("the gradient hook failed (its exception is re-raised by the caller)")

// SetGradHook installs a gradient hook on model h, or removes it when fn is 0: the address of
// a C function int fn(long long iter, void *grad, long long n), called in every training
// iteration, right after the parameter gradient is computed and before clipping and the
// optimizer step, with the gradient (n values of the model's dtype, in the parameters'
// order). It may change the gradient in place (data-parallel training averages it across
// processes there) and returns 0, or non-zero to stop training with an error, the iteration
// undone. The function must stay valid while installed. It may read its model (iteration,
// parameters, history); calls that change the model are refused there.
func SetGradHook(h int64, fn int64) (err error) {
	defer guard(&err)
	return withModelLock(h, true, func(m model) error {
		m.setGradHook(uintptr(fn))
		return nil
	})
}

func (m *modelT[T]) setGradHook(addr uintptr) {
	fn := C.uintptr_t(addr)
	if fn == 0 {
		m.tr.GradHook = nil
		return
	}
	m.tr.GradHook = func(iter int, grad []T) error {
		var p unsafe.Pointer
		if len(grad) > 0 {
			p = unsafe.Pointer(&grad[0])
		}
		// The hook may call its model back from this thread (acquire lets it read).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		m.hookTid.Store(int64(syscall.Gettid()))
		rc := C.anila_call_grad(fn, C.longlong(iter), p, C.longlong(len(grad)))
		m.hookTid.Store(0)
		if rc != 0 {
			return errGradHook
		}
		return nil
	}
}
