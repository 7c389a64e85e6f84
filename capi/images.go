package capi

import (
	"encoding/json"
	"fmt"

	"github.com/anila-ebm/anila/anila/data"
)

// imagesObj is a loaded image set held for the data plane to copy out.
type imagesObj struct {
	im data.Images
}

func (o *imagesObj) close() {}

// LoadImages reads an image set and returns its handle: kind "idx" (one IDX file, gzipped
// or not; labels from a second path when given), "cifar10" (binary batches) or "folder"
// (JPEG and PNG files below one folder, resized and centre-cropped to size×size).
func LoadImages(kind string, paths []string, size int) (h int64, err error) {
	defer guard(&err)
	if len(paths) == 0 {
		return 0, fmt.Errorf("paths must name at least one file")
	}
	var im data.Images
	switch kind {
	case "idx":
		if len(paths) > 2 {
			return 0, fmt.Errorf("idx takes an image file and optionally a label file, got %d paths", len(paths))
		}
		im, err = data.ReadIDX(paths[0])
		if err != nil {
			return 0, err
		}
		if len(paths) == 2 {
			lab, err := data.ReadIDX(paths[1])
			if err != nil {
				return 0, err
			}
			if lab.N != im.N || len(lab.Shape) != 0 {
				return 0, fmt.Errorf("%s: %d labels of shape %v for %d images", paths[1], lab.N, lab.Shape, im.N)
			}
			im.Labels = lab.Pixels
		}
	case "cifar10":
		im, err = data.ReadCIFAR10(paths...)
		if err != nil {
			return 0, err
		}
	case "folder":
		if len(paths) != 1 {
			return 0, fmt.Errorf("folder takes one path, got %d", len(paths))
		}
		im, err = data.ReadImageFolder(paths[0], size)
		if err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("kind must be \"idx\", \"cifar10\" or \"folder\", got %q", kind)
	}
	return register(&imagesObj{im: im}), nil
}

// ImagesMeta describes image set h as JSON: n, shape and whether it has labels.
func ImagesMeta(h int64) (s string, err error) {
	defer guard(&err)
	o, err := lookupImages(h)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]any{"n": o.im.N, "shape": o.im.Shape, "labels": o.im.Labels != nil})
	return string(b), err
}

func lookupImages(h int64) (*imagesObj, error) { return lookupAs[*imagesObj](h, "an image set") }
