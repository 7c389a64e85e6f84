// Package metric holds sample-quality metrics: the maximum mean discrepancy (mmd.go), the
// sliced Wasserstein distance (sliced.go), split R̂ and effective sample size of chains
// (chains.go), Gaussian fits and the Fréchet distance between Gaussians (frechet.go), and FID
// with anila's own feature net, its file format included (fid.go), and log Z by annealed
// importance sampling, forward and reverse, in pieces (AISRun) or whole (ais.go).
package metric
