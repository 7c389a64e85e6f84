package capi

/*
#include <stdint.h>
extern void anila_export_table(uintptr_t* out, long long n);
extern long long anila_export_count(void);
extern const char *anila_export_name(long long i);
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/train"
)

// Version is the anila library version.
const Version = "0.1.0"

// LibraryVersion returns Version.
func LibraryVersion() string { return Version }

// BLAS names the BLAS implementation the library was built with.
func BLAS() string { return nn.BLASName }

// SetThreads sets how many threads anila computes on (n < 1: all cores). Results do not
// depend on it.
func SetThreads(n int) { nn.SetThreads(n) }

// Threads is the number of threads anila computes on.
func Threads() int { return nn.Threads() }

// ToyNames lists the toy data sets.
func ToyNames() []string { return data.ToyNames() }

// HistoryFields lists the names of the training history's columns, in field order.
func HistoryFields() []string { return train.HistoryFields }

// ExportNames lists the data-plane functions, in the order of ExportTable; both come from
// the one table in table.c, which pairs each name with its function.
func ExportNames() []string {
	n := int64(C.anila_export_count())
	out := make([]string, n)
	for i := range out {
		out[i] = C.GoString(C.anila_export_name(C.longlong(i)))
	}
	return out
}

// ExportTable returns the addresses of the data-plane functions, for ctypes.
func ExportTable() (t []uintptr, err error) {
	defer guard(&err)
	n := int64(C.anila_export_count())
	if n == 0 {
		return nil, fmt.Errorf("the export table is empty")
	}
	out := make([]uintptr, n)
	C.anila_export_table((*C.uintptr_t)(unsafe.Pointer(&out[0])), C.longlong(n))
	return out, nil
}

// layerTypeInfo is what Python learns of a registered layer type: enough to make its
// anila.nn class, its PyTorch twin and to read a torch module of that class.
type layerTypeInfo struct {
	Name   string `json:"name"`
	Doc    string `json:"doc"`
	Torch  string `json:"torch"`
	HasIn  bool   `json:"has_in"`
	Nested bool   `json:"nested"`
	// SpectralNorm says that the layer takes spectral_norm.
	SpectralNorm bool           `json:"spectral_norm"`
	Args         []nn.LayerArg  `json:"args"`
	Fixed        map[string]any `json:"fixed"`
}

// LayerTypes describes the registered layer types as a JSON list (name, doc, torch class,
// arguments with their spec fields and defaults, fixed torch arguments), sorted by name.
func LayerTypes() (s string, err error) {
	defer guard(&err)
	var out []layerTypeInfo
	for _, t := range nn.LayerTypes() {
		args := t.Args
		if args == nil {
			args = []nn.LayerArg{}
		}
		out = append(out, layerTypeInfo{t.Name, t.Doc, t.Torch, t.HasIn, t.Nested, t.SpectralNorm, args, t.Fixed})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// ExpandArch returns the architecture arch (the JSON of an nn.Arch, as Model.arch gives it or
// a preset written by hand) with its layer specs filled in (nn.Arch.Expanded), so that
// Python builds PyTorch twins of presets from the same layer lists as Go. In may be left
// out when the image shape is given.
func ExpandArch(arch string) (s string, err error) {
	defer guard(&err)
	var a nn.Arch
	if err := json.Unmarshal([]byte(arch), &a); err != nil {
		return "", fmt.Errorf("arch must be the JSON of an architecture: %v", err)
	}
	if a.In == 0 && a.Channels > 0 {
		a.In = a.Channels * a.Height * a.Width
	}
	if a, err = a.Expanded(); err != nil {
		return "", err
	}
	b, err := json.Marshal(a)
	return string(b), err
}
