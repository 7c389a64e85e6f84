// Package run decides a training run once, in one place: the parameter table (Table: every
// setting's kind, its defaults for point data and for images, its bounds or choices and its
// doc), the mergeable summary of the training data (Summary), and Resolve, which turns a
// user's parameters as given plus that summary into the net's nn.Arch, the trainer's
// train.Config and the run's train.Plan, or an error naming the parameter and its bad value.
//
// What lives where:
//   - table.go: Param and Table, the one copy of every default, bound and choice.
//   - values.go: reading a parameter's value from JSON against its table entry.
//   - summary.go: Summary, per-coordinate count, sums, squares, minima and maxima.
//   - resolve.go: Resolve and Describe (the resolved settings by their table names).
//   - sampling.go: ResolveSampler, sampler settings for sampling from a model or an energy.
//
// The Python package and Go callers get their defaults from here: Resolve with no parameters
// gives the defaults for the data at hand.
package run
