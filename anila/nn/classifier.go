package nn

import (
	"fmt"
	"math"

	"github.com/anila-ebm/anila/anila/internal/pool"
)

// Classifier is a net with K outputs (class scores, logits) and its parameters, trained by
// softmax cross-entropy and used as a feature extractor (FID). Like NetEnergy it splits
// batches into fixed chunks that run on the shared pool, so results do not depend on the
// thread count. It is not safe for concurrent use.
type Classifier[T Float] struct {
	Net    *Net[T]
	Params []T
	Chunk  int

	ws      []*Workspace[T]
	pgrad   [][]T
	dlogits [][]T
	loss    []float64
	correct []int
	run     func(int)
	// the current job
	x       []T
	labels  []int
	n       int
	scale   float64
	feat    []T
	layer   int
	withGrd bool
}

// NewClassifier wraps net (any number of outputs) and params (not copied).
func NewClassifier[T Float](net *Net[T], params []T) *Classifier[T] {
	c := &Classifier[T]{Net: net, Params: params, Chunk: ChunkFor(net)}
	c.run = c.chunk
	return c
}

func (c *Classifier[T]) reserve(n int) int {
	nc := (n + c.Chunk - 1) / c.Chunk
	for len(c.ws) < nc {
		c.ws = append(c.ws, c.Net.NewWorkspace(c.Chunk))
		c.pgrad = append(c.pgrad, make([]T, c.Net.NumParams()))
		c.dlogits = append(c.dlogits, make([]T, c.Chunk*c.Net.OutSize()))
		c.loss = append(c.loss, 0)
		c.correct = append(c.correct, 0)
	}
	return nc
}

func (c *Classifier[T]) chunk(ch int) {
	lo := ch * c.Chunk
	hi := min(lo+c.Chunk, c.n)
	m, d, k := hi-lo, c.Net.InSize(), c.Net.OutSize()
	ws := c.ws[ch]
	logits := c.dlogits[ch][:m*k]
	c.Net.Forward(c.Params, ws, c.x[lo*d:hi*d], m, logits)
	if c.feat != nil {
		f := c.Net.Activation(ws, c.layer)
		w := len(f) / m
		copy(c.feat[lo*w:hi*w], f)
		return
	}
	loss, correct := softmaxCrossEntropy(logits, c.labels[lo:hi], m, k, c.scale)
	c.loss[ch], c.correct[ch] = loss, correct
	if c.withGrd {
		g := c.pgrad[ch]
		clear(g)
		c.Net.Backward(c.Params, ws, logits, nil, g) // logits now hold ∂loss/∂logits
	}
}

// softmaxCrossEntropy returns Σ_i −log softmax(z_i)[y_i] over the m rows of z (m×k) and the
// number of rows whose largest score is the label, and overwrites z with the gradient of
// scale·(that sum): scale·(softmax(z_i) − onehot(y_i)).
func softmaxCrossEntropy[T Float](z []T, labels []int, m, k int, scale float64) (float64, int) {
	loss, correct := 0.0, 0
	for i := 0; i < m; i++ {
		row := z[i*k : (i+1)*k]
		best, arg := math.Inf(-1), 0
		for j, v := range row {
			if float64(v) > best {
				best, arg = float64(v), j
			}
		}
		if arg == labels[i] {
			correct++
		}
		s := 0.0
		for _, v := range row {
			s += math.Exp(float64(v) - best)
		}
		logZ := best + math.Log(s)
		loss += logZ - float64(row[labels[i]])
		for j, v := range row {
			p := math.Exp(float64(v) - logZ)
			if j == labels[i] {
				p--
			}
			row[j] = T(scale * p)
		}
	}
	return loss, correct
}

// LossGrad returns the mean softmax cross-entropy of the n rows of x (n×InSize) against
// labels (each in [0, OutSize)) and the fraction classified correctly, and adds the
// gradient of the mean loss with respect to the parameters into grad when it is not nil.
func (c *Classifier[T]) LossGrad(x []T, labels []int, n int, grad []T) (loss, accuracy float64, err error) {
	if n < 1 || len(x) < n*c.Net.InSize() || len(labels) < n {
		return 0, 0, fmt.Errorf("nn: classifier batch of %d rows with %d values and %d labels", n, len(x), len(labels))
	}
	for i, y := range labels[:n] {
		if y < 0 || y >= c.Net.OutSize() {
			return 0, 0, fmt.Errorf("nn: label %d of row %d is outside [0, %d)", y, i, c.Net.OutSize())
		}
	}
	nc := c.reserve(n)
	c.x, c.labels, c.n, c.scale, c.withGrd, c.feat = x, labels, n, 1/float64(n), grad != nil, nil
	pool.Shared().Run(nc, c.run)
	correct := 0
	for ch := 0; ch < nc; ch++ {
		loss += c.loss[ch]
		correct += c.correct[ch]
		if grad != nil {
			for i, v := range c.pgrad[ch] {
				grad[i] += v
			}
		}
	}
	c.x, c.labels = nil, nil
	return loss / float64(n), float64(correct) / float64(n), nil
}

// Features writes the output of layer `layer` (after the forward pass) for the n rows of x
// into out (n × Layers[layer].OutSize()).
func (c *Classifier[T]) Features(x []T, n, layer int, out []T) error {
	if layer < 0 || layer >= len(c.Net.Layers) {
		return fmt.Errorf("nn: layer %d of a %d-layer net", layer, len(c.Net.Layers))
	}
	w := c.Net.Layers[layer].OutSize()
	if len(x) < n*c.Net.InSize() || len(out) < n*w {
		return fmt.Errorf("nn: features of %d rows need %d inputs and %d outputs", n, n*c.Net.InSize(), n*w)
	}
	if n == 0 {
		return nil
	}
	nc := c.reserve(n)
	c.x, c.n, c.feat, c.layer = x, n, out, layer
	pool.Shared().Run(nc, c.run)
	c.x, c.feat = nil, nil
	return nil
}

// FeatureDim is the width of the feature layer of BuildFeatureNet.
const FeatureDim = 128

// FeatureNetSpecs is the preset of the small image classifier whose hidden features FID
// compares: a 3×3 convolution to 32 channels, two 4×4 stride-2 convolutions to 64, a Linear
// layer to FeatureDim features, each followed by LeakyReLU(0.1), and a Linear layer to
// `classes` scores.
func FeatureNetSpecs(classes int) []LayerSpec {
	act := leakySpec(0.1)
	return []LayerSpec{{Type: "conv2d", Out: 32, Kernel: 3, Padding: 1}, act,
		{Type: "conv2d", Out: 64, Kernel: 4, Stride: 2, Padding: 1}, act,
		{Type: "conv2d", Out: 64, Kernel: 4, Stride: 2, Padding: 1}, act,
		{Type: "flatten"}, {Type: "linear", Out: FeatureDim}, act, {Type: "linear", Out: classes}}
}

// BuildFeatureNet builds FeatureNetSpecs for c×h×w images and returns the net and the index
// of the feature layer (the last LeakyReLU).
func BuildFeatureNet[T Float](c, h, w, classes int) (*Net[T], int, error) {
	if classes < 2 {
		return nil, 0, fmt.Errorf("nn: a classifier needs >= 2 classes, got %d", classes)
	}
	net, err := BuildLayers[T](Shape{c, h, w}, FeatureNetSpecs(classes), true)
	if err != nil {
		return nil, 0, fmt.Errorf("nn: feature net on %dx%d images: %w", h, w, err)
	}
	return net, len(net.Layers) - 2, nil
}
