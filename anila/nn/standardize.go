package nn

import (
	"fmt"
	"math"
)

// Input standardisation: a net may see its inputs as (x − Shift)/Scale, a fixed affine map
// with no parameters, so that training does not depend on the data's location and scale
// (a net's initialisation and Adam's steps are in absolute units; data scaled by 100 would
// otherwise train a different model). Arch.InShift and Arch.InScale set it; the MLP preset
// of the Python package sets them from the training data (its mean and its RMS standard
// deviation, one scale for all coordinates so that the data's anisotropy is kept).

// SetInputStandardization makes the net compute f((x − shift)/scale): shift has InSize
// entries and scale must be finite and > 0. Forward, Backward's ∇x and CenterFirstLayer then
// work in the data's own units.
func (net *Net[T]) SetInputStandardization(shift []float64, scale float64) error {
	if len(shift) != net.InSize() {
		return fmt.Errorf("nn: in_shift has %d entries for %d inputs", len(shift), net.InSize())
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return fmt.Errorf("nn: in_scale must be finite and > 0, got %v", scale)
	}
	for i, v := range shift {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("nn: in_shift[%d] must be finite, got %v", i, v)
		}
	}
	net.inShift = make([]T, len(shift))
	for i, v := range shift {
		net.inShift[i] = T(v)
	}
	net.inInv = T(1 / scale)
	return nil
}

// Standardized reports whether the net standardises its inputs (SetInputStandardization).
func (net *Net[T]) Standardized() bool { return net.inShift != nil }

// standardize writes (x − shift)/scale of the n rows of x into dst.
func (net *Net[T]) standardize(dst, x []T, n int) {
	d := len(net.inShift)
	for r := 0; r < n; r++ {
		row, out := x[r*d:(r+1)*d], dst[r*d:(r+1)*d]
		for j, v := range row {
			out[j] = (v - net.inShift[j]) * net.inInv
		}
	}
}
