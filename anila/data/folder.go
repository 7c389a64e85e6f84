package data

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // JPEG decoder
	_ "image/png"  // PNG decoder
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ReadImageFolder reads every .jpg, .jpeg and .png file below dir (sorted by path, so the
// order is reproducible), resizes each so that its shorter side is size (bilinear), crops the
// centre size×size, and returns them as RGB images N×3×size×size (NCHW). Oxford Flowers is
// read this way.
func ReadImageFolder(dir string, size int) (Images, error) {
	if size < 1 || size > 4096 {
		return Images{}, fmt.Errorf("size must be in [1, 4096], got %d", size)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png":
			if !d.IsDir() {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return Images{}, err
	}
	if len(files) == 0 {
		return Images{}, fmt.Errorf("%s: no .jpg, .jpeg or .png files", dir)
	}
	sort.Strings(files)
	out := Images{Shape: []int{3, size, size}}
	for _, p := range files {
		img, err := decodeFile(p)
		if err != nil {
			return Images{}, err
		}
		out.Pixels = append(out.Pixels, resizeCrop(img, size)...)
		out.N++
		if int64(len(out.Pixels)) > maxIDXBytes {
			return Images{}, fmt.Errorf("%s: more than %d bytes of images", dir, int64(maxIDXBytes))
		}
	}
	return out, nil
}

// maxImagePixels bounds the width × height of one decoded image (a header may claim any
// size; decoding it would allocate before failing).
const maxImagePixels = 1 << 26

func decodeFile(p string) (image.Image, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return decodeImage(b, p)
}

// decodeImage decodes a JPEG or PNG file's bytes, refusing empty images and images of more
// than maxImagePixels pixels before decoding them; errors name the file.
func decodeImage(b []byte, name string) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode image: %v", name, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, fmt.Errorf("%s: empty image (%dx%d)", name, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return nil, fmt.Errorf("%s: image of %dx%d pixels is larger than %d pixels", name, cfg.Width, cfg.Height, maxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode image: %v", name, err)
	}
	if r := img.Bounds(); r.Dx() < 1 || r.Dy() < 1 {
		return nil, fmt.Errorf("%s: empty image", name)
	}
	return img, nil
}

// resizeCrop scales img so that its shorter side is size (bilinear) and returns the centre
// size×size crop as 3 planes of bytes.
func resizeCrop(img image.Image, size int) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := float64(size) / float64(min(w, h))
	sw, sh := max(size, int(float64(w)*scale+0.5)), max(size, int(float64(h)*scale+0.5))
	ox, oy := (sw-size)/2, (sh-size)/2
	out := make([]byte, 3*size*size)
	at := func(x, y int) (r, g, bl float64) {
		x = min(max(x, 0), w-1)
		y = min(max(y, 0), h-1)
		cr, cg, cb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return float64(cr >> 8), float64(cg >> 8), float64(cb >> 8)
	}
	for y := 0; y < size; y++ {
		// the centre of output pixel (y+oy) in source coordinates
		sy := (float64(y+oy)+0.5)/scale - 0.5
		y0 := int(sy)
		if sy < 0 {
			y0 = -1
		}
		fy := sy - float64(y0)
		for x := 0; x < size; x++ {
			sx := (float64(x+ox)+0.5)/scale - 0.5
			x0 := int(sx)
			if sx < 0 {
				x0 = -1
			}
			fx := sx - float64(x0)
			r00, g00, b00 := at(x0, y0)
			r10, g10, b10 := at(x0+1, y0)
			r01, g01, b01 := at(x0, y0+1)
			r11, g11, b11 := at(x0+1, y0+1)
			mix := func(a, b, c, d float64) byte {
				v := (a*(1-fx)+b*fx)*(1-fy) + (c*(1-fx)+d*fx)*fy
				return byte(min(max(v+0.5, 0), 255))
			}
			i := y*size + x
			out[i] = mix(r00, r10, r01, r11)
			out[size*size+i] = mix(g00, g10, g01, g11)
			out[2*size*size+i] = mix(b00, b10, b01, b11)
		}
	}
	return out
}
