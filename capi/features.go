package capi

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/anila-ebm/anila/anila/metric"
	"github.com/anila-ebm/anila/anila/train"
)

// featureT is a FID feature net held by handle.
type featureT struct {
	mu sync.Mutex
	f  *metric.FeatureNet
}

func (f *featureT) close() {}

func lookupFeatures(h int64) (*featureT, error) { return lookupAs[*featureT](h, "a feature net") }

// NewFeatureNet makes an untrained FID feature net (metric.FeatureNet) for C×H×W images and
// `classes` classes, its parameters drawn from seed; it returns the handle.
func NewFeatureNet(c, h, w, classes int, seed int64) (hd int64, err error) {
	defer guard(&err)
	if c < 1 || h < 4 || w < 4 || c*h*w > 1<<22 {
		return 0, fmt.Errorf("feature net image shape must be C >= 1, H, W >= 4, got %dx%dx%d", c, h, w)
	}
	if classes < 2 || classes > 100000 {
		return 0, fmt.Errorf("classes must be in [2, 100000], got %d", classes)
	}
	f, err := metric.NewFeatureNet(c, h, w, classes, uint64(seed))
	if err != nil {
		return 0, err
	}
	return register(&featureT{f: f}), nil
}

// FeatureNetMeta describes feature net h as JSON: image shape, classes, feature width,
// training data and test accuracy.
func FeatureNetMeta(h int64) (s string, err error) {
	defer guard(&err)
	f, err := lookupFeatures(h)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := json.Marshal(map[string]any{"channels": f.f.Channels, "height": f.f.Height, "width": f.f.Width,
		"classes": f.f.Classes, "features": f.f.Net.Layers[f.f.Layer].OutSize(), "dataset": f.f.Dataset,
		"test_accuracy": f.f.TestAccuracy, "num_params": len(f.f.Params)})
	return string(b), err
}

// SetFeatureNetInfo records what feature net h was trained on and its test accuracy.
func SetFeatureNetInfo(h int64, dataset string, testAccuracy float64) (err error) {
	defer guard(&err)
	f, err := lookupFeatures(h)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.f.Dataset, f.f.TestAccuracy = dataset, testAccuracy
	return nil
}

// SaveFeatureNet writes feature net h to path atomically, with a checksum.
func SaveFeatureNet(h int64, path string) (err error) {
	defer guard(&err)
	f, err := lookupFeatures(h)
	if err != nil {
		return err
	}
	f.mu.Lock()
	b, err := f.f.Marshal()
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return train.WriteAtomic(path, b)
}

// LoadFeatureNet reads a feature net written by SaveFeatureNet and returns its handle.
func LoadFeatureNet(path string) (h int64, err error) {
	defer guard(&err)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	f, err := metric.UnmarshalFeatureNet(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return register(&featureT{f: f}), nil
}
