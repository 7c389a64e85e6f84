package capi

/*
#include <stdint.h>
*/
import "C"

import (
	"fmt"
	"gonum.org/v1/gonum/mat"
	"unsafe"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/metric"
	"github.com/anila-ebm/anila/anila/run"
	"github.com/anila-ebm/anila/anila/train"
)

// Return codes of the data-plane functions.
const (
	rcOK       = 0
	rcBadInput = 1 // a Python ValueError
	rcInternal = 2 // a recovered panic: a Python RuntimeError
)

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

func lookupEvaluator(h int64) (evaluator, error) { return lookupAs[evaluator](h, "an energy") }

// withModel runs fn on model h while holding its lock for reading or (write) changing it,
// after checking that d is the model's dimension (d < 0: no check).
func withModel(h, d C.longlong, write bool, fn func(m model) error) error {
	return withModelLock(int64(h), write, func(m model) error {
		if d >= 0 {
			if err := checkDim(d, m.dim()); err != nil {
				return err
			}
		}
		return fn(m)
	})
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
		return withModel(h, d, true, func(m model) error {
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
		release, err := ev.acquire(true) // the evaluation uses the net's buffers
		if err != nil {
			return err
		}
		defer release()
		return ev.energyGrad(x, f, g, int(n))
	})
}

//export anila_params
func anila_params(h C.longlong, p unsafe.Pointer, n C.longlong, mode C.int, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		if mode < 0 || mode > 3 {
			return fmt.Errorf("anila_params: mode must be 0-3, got %d", int(mode))
		}
		return withModel(h, -1, mode == 1 || mode == 3, func(m model) error {
			return m.params(p, int(n), paramsMode(mode))
		})
	})
}

//export anila_history
func anila_history(h C.longlong, field C.longlong, dst *C.double, start, n C.longlong, set C.int, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withModel(h, -1, set != 0, func(m model) error {
			if start < 0 || n < 0 || int(start+n) > m.historyLen() {
				return fmt.Errorf("history entries [%d, %d) out of range: it has %d", int64(start), int64(start+n), m.historyLen())
			}
			return m.history(int(field), int(start), slice[float64](unsafe.Pointer(dst), int(n)), set != 0)
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

//export anila_chains_mask
func anila_chains_mask(h C.longlong, p unsafe.Pointer, n C.longlong, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		c, err := lookupChains(int64(h))
		if err != nil {
			return err
		}
		return c.setMask(p, int(n))
	})
}

//export anila_chains_trace
func anila_chains_trace(h C.longlong, steps C.longlong, p unsafe.Pointer, n C.longlong, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		c, err := lookupChains(int64(h))
		if err != nil {
			return err
		}
		c.stop().Store(false)
		return offThread(func() error { return c.trace(int(steps), p, int(n)) })
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

func withFeatures(h C.longlong, d C.longlong, fn func(f *featureT) error) error {
	f, err := lookupFeatures(int64(h))
	if err != nil {
		return err
	}
	if err := checkDim(d, f.f.Net.InSize()); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn(f)
}

func labelsOf(p unsafe.Pointer, n int) []int {
	l := slice[int64](p, n)
	out := make([]int, n)
	for i, v := range l {
		out[i] = int(v)
	}
	return out
}

// anila_featurenet_train trains feature net h on n float32 images x (n×d) with int64 labels
// for `epochs` epochs, writing each epoch's mean loss and accuracy into hist (epochs×2).
//
//export anila_featurenet_train
func anila_featurenet_train(h C.longlong, x unsafe.Pointer, labels unsafe.Pointer, n C.longlong, d C.longlong, epochs C.longlong, batch C.longlong, lr C.double, seed C.longlong, hist unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withFeatures(h, d, func(f *featureT) error {
			cfg := train.ClassifierConfig{Epochs: int(epochs), BatchSize: int(batch), LR: float64(lr), Seed: uint64(seed)}
			out, err := train.TrainClassifier(f.f.Classifier, slice[float32](x, int(n*d)), labelsOf(labels, int(n)), int(n), cfg, nil, nil)
			if err != nil {
				return err
			}
			hs := slice[float64](hist, 2*int(epochs))
			for i, e := range out {
				hs[2*i], hs[2*i+1] = e.Loss, e.Accuracy
			}
			return nil
		})
	})
}

// anila_featurenet_eval writes the mean cross-entropy and the accuracy of feature net h on
// n labelled images into out[0:2].
//
//export anila_featurenet_eval
func anila_featurenet_eval(h C.longlong, x unsafe.Pointer, labels unsafe.Pointer, n C.longlong, d C.longlong, out unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withFeatures(h, d, func(f *featureT) error {
			loss, acc, err := f.f.Classifier.LossGrad(slice[float32](x, int(n*d)), labelsOf(labels, int(n)), int(n), nil)
			if err != nil {
				return err
			}
			o := slice[float64](out, 2)
			o[0], o[1] = loss, acc
			return nil
		})
	})
}

// anila_featurenet_features writes the features of n images into out (n × feature width).
//
//export anila_featurenet_features
func anila_featurenet_features(h C.longlong, x unsafe.Pointer, n C.longlong, d C.longlong, out unsafe.Pointer, nout C.longlong, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withFeatures(h, d, func(f *featureT) error {
			w := f.f.Net.Layers[f.f.Layer].OutSize()
			if int(nout) != int(n)*w {
				return fmt.Errorf("features of %d images need an output of %d values, got %d", n, int(n)*w, nout)
			}
			return f.f.Features(slice[float32](x, int(n*d)), int(n), slice[float32](out, int(nout)))
		})
	})
}

// anila_fid writes the Fréchet distance between Gaussian fits of the feature sets fx (n×d)
// and fy (m×d) into out.
//
//export anila_fid
func anila_fid(fx unsafe.Pointer, n C.longlong, fy unsafe.Pointer, m C.longlong, d C.longlong, out *C.double, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		v, err := metric.FID(slice[float64](fx, int(n*d)), int(n), slice[float64](fy, int(m*d)), int(m), int(d))
		if err != nil {
			return err
		}
		*out = C.double(v)
		return nil
	})
}

// anila_frechet writes the Fréchet distance of N(mu1, cov1) and N(mu2, cov2) (d and d×d).
//
//export anila_frechet
func anila_frechet(mu1, cov1, mu2, cov2 unsafe.Pointer, d C.longlong, out *C.double, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		k := int(d)
		fit := func(mu, cov unsafe.Pointer) metric.GaussianFit {
			c := slice[float64](cov, k*k)
			s := mat.NewSymDense(k, nil)
			for i := 0; i < k; i++ {
				for j := i; j < k; j++ {
					s.SetSym(i, j, (c[i*k+j]+c[j*k+i])/2)
				}
			}
			return metric.GaussianFit{Mean: append([]float64(nil), slice[float64](mu, k)...), Cov: s}
		}
		v, err := metric.FrechetDistance(fit(mu1, cov1), fit(mu2, cov2))
		if err != nil {
			return err
		}
		*out = C.double(v)
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
		return withModel(h, -1, true, func(m model) error {
			return m.trainStep(batch, z0, normals, int(nNormals), uniforms, int(nUniforms), zOut)
		})
	})
}

//export anila_param_grad
func anila_param_grad(h C.longlong, x unsafe.Pointer, n, d C.longlong, w, dst unsafe.Pointer, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		return withModel(h, d, true, func(m model) error {
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

//export anila_data_summary
func anila_data_summary(x unsafe.Pointer, n, d C.longlong, is64 C.int, out *C.double, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		if n < 1 || d < 1 {
			return fmt.Errorf("X must hold at least one row and one column, got (%d, %d)", int64(n), int64(d))
		}
		var s run.Summary
		if is64 != 0 {
			s = run.Summarize(slice[float64](x, int(n*d)), int(n), int(d))
		} else {
			s = run.Summarize(slice[float32](x, int(n*d)), int(n), int(d))
		}
		copy(slice[float64](unsafe.Pointer(out), int(1+4*d)), s.Flat())
		return nil
	})
}

//export anila_ais_new
func anila_ais_new(target C.longlong, request *C.char, points unsafe.Pointer, nPoints, dim C.longlong,
	starts unsafe.Pointer, nStarts C.longlong, out *C.longlong, errbuf *C.char, errlen C.longlong) C.int {
	return call(errbuf, errlen, func() error {
		var st []float64
		if starts != nil {
			st = slice[float64](starts, int(nStarts*dim))
		}
		a, err := newAIS(int64(target), C.GoString(request), slice[float64](points, int(nPoints*dim)), int(nPoints), st)
		if err != nil {
			return err
		}
		if d := a.run.Positions(); int(dim) != len(d)/a.cfg.Chains {
			return fmt.Errorf("points have %d columns, the energy has dimension %d", dim, len(d)/a.cfg.Chains)
		}
		*out = C.longlong(register(a))
		return nil
	})
}
