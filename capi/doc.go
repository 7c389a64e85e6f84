// Package capi is anila's Python-facing surface, built by gopy into ONE shared library with
// two faces and one Go runtime:
//
//   - the control plane, through gopy's generated module: a run request as JSON in (the
//     user's parameters as given, the data's summary; anila/run resolves it), creating,
//     training, saving, loading and closing objects, which Python holds as int64 handles;
//     a Go error becomes a Python exception ("TypeError: " opens the message of a value of
//     the wrong kind).
//   - the data plane, through the //export functions of export.go, called with ctypes on the
//     same library: NumPy arrays passed as pointers, zero-copy, with the GIL released.
//     gopy's link step hides //export symbols, so table.c hands their addresses to Python
//     through ExportTable.
//
// Every entry point recovers panics and returns them as errors. No pointer into NumPy memory
// is kept after a call returns: data that outlives a call is copied. Long calls (Train,
// StepChains, StepAIS) stop early when Stop is called on their handle (Python does on
// Ctrl-C).
//
// Files: schema.go (the run table for Python), handles.go (the handle registry), model.go
// (trained models), gradhook.go (a caller's gradient hook), chains.go (sampling sessions),
// ais.go (log Z runs by annealed importance sampling),
// energies.go (analytic energies), callback.go (energies that are caller functions),
// images.go and features.go (image data and the FID feature net), export.go (the C
// functions), table.c (the one list of them, names with addresses), capi.go (library-wide
// functions).
package capi
