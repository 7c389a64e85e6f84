package metric

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/anila-ebm/anila/anila/nn"
)

// FeatureNet is the classifier whose hidden features FID compares (nn.BuildFeatureNet),
// float32, with what it was trained on and its test accuracy. It is trained once (the
// Python package trains it on Fashion-MNIST with train.TrainClassifier), saved with
// Marshal and reused.
type FeatureNet struct {
	Channels, Height, Width, Classes int
	// Dataset names the training data; TestAccuracy is the fraction of its test set
	// classified correctly (−1 when not measured).
	Dataset      string
	TestAccuracy float64
	Params       []float32

	Net        *nn.Net[float32]
	Classifier *nn.Classifier[float32]
	Layer      int // the feature layer
}

// NewFeatureNet builds the feature net for C×H×W images and `classes` classes, with
// PyTorch-style initial parameters drawn from seed.
func NewFeatureNet(c, h, w, classes int, seed uint64) (*FeatureNet, error) {
	f := &FeatureNet{Channels: c, Height: h, Width: w, Classes: classes, TestAccuracy: -1}
	if err := f.build(); err != nil {
		return nil, err
	}
	f.Net.Init(f.Params, rand.New(rand.NewPCG(seed, 0xfea7)))
	return f, nil
}

func (f *FeatureNet) build() error {
	net, layer, err := nn.BuildFeatureNet[float32](f.Channels, f.Height, f.Width, f.Classes)
	if err != nil {
		return err
	}
	if f.Params == nil {
		f.Params = make([]float32, net.NumParams())
	}
	if len(f.Params) != net.NumParams() {
		return fmt.Errorf("metric: feature net has %d parameters, the file %d", net.NumParams(), len(f.Params))
	}
	f.Net, f.Layer = net, layer
	f.Classifier = nn.NewClassifier(net, f.Params)
	return nil
}

// Features writes the FeatureDim features of the n images x (n×C·H·W) into out.
func (f *FeatureNet) Features(x []float32, n int, out []float32) error {
	return f.Classifier.Features(x, n, f.Layer, out)
}

// FID is the Fréchet distance between Gaussian fits of two feature sets, fx (n×d) and
// fy (m×d): the Fréchet Inception Distance, with this package's feature net in place of
// Inception.
func FID(fx []float64, n int, fy []float64, m int, d int) (float64, error) {
	a, err := FitGaussian(fx, n, d)
	if err != nil {
		return 0, err
	}
	b, err := FitGaussian(fy, m, d)
	if err != nil {
		return 0, err
	}
	return FrechetDistance(a, b)
}

const featureMagic = "ANILAFNT"

type featureHeader struct {
	Version      int     `json:"version"`
	C            int     `json:"c"`
	H            int     `json:"h"`
	W            int     `json:"w"`
	K            int     `json:"k"`
	Dataset      string  `json:"dataset"`
	TestAccuracy float64 `json:"test_accuracy"`
	NumParams    int     `json:"num_params"`
}

// Marshal encodes the feature net: magic, JSON header length and header, float32
// parameters (little-endian), SHA-256 of all that.
func (f *FeatureNet) Marshal() ([]byte, error) {
	h, err := json.Marshal(featureHeader{Version: 1, C: f.Channels, H: f.Height, W: f.Width, K: f.Classes,
		Dataset: f.Dataset, TestAccuracy: f.TestAccuracy, NumParams: len(f.Params)})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(featureMagic)
	binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	b.Write(h)
	for _, v := range f.Params {
		binary.Write(&b, binary.LittleEndian, math.Float32bits(v))
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
}

// UnmarshalFeatureNet decodes what Marshal wrote, checking magic, checksum and sizes.
func UnmarshalFeatureNet(b []byte) (*FeatureNet, error) {
	if len(b) < len(featureMagic)+4+sha256.Size || string(b[:len(featureMagic)]) != featureMagic {
		return nil, fmt.Errorf("not an anila feature-net file")
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("feature-net file is corrupt (checksum mismatch)")
	}
	off := len(featureMagic)
	hl := int(binary.LittleEndian.Uint32(body[off:]))
	off += 4
	if hl > len(body)-off {
		return nil, fmt.Errorf("feature-net file is truncated (header of %d bytes)", hl)
	}
	var h featureHeader
	if err := json.Unmarshal(body[off:off+hl], &h); err != nil {
		return nil, fmt.Errorf("feature-net header: %v", err)
	}
	off += hl
	if h.Version != 1 {
		return nil, fmt.Errorf("feature-net file version %d, this anila reads 1", h.Version)
	}
	if h.NumParams < 0 || 4*h.NumParams != len(body)-off {
		return nil, fmt.Errorf("feature-net file holds %d bytes of parameters, the header says %d", len(body)-off, 4*h.NumParams)
	}
	if h.C < 1 || h.H < 1 || h.W < 1 || h.C*h.H*h.W > 1<<24 {
		return nil, fmt.Errorf("feature-net file has image shape %dx%dx%d", h.C, h.H, h.W)
	}
	f := &FeatureNet{Channels: h.C, Height: h.H, Width: h.W, Classes: h.K, Dataset: h.Dataset,
		TestAccuracy: h.TestAccuracy, Params: make([]float32, h.NumParams)}
	for i := range f.Params {
		f.Params[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[off+4*i:]))
	}
	if err := f.build(); err != nil {
		return nil, err
	}
	return f, nil
}
