package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadImageFolder(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "class_b"), 0o755)
	// a 40×20 PNG: left half red, right half blue; the centre crop of 10×10 after scaling the
	// shorter side to 10 is the middle 20×20 of the original: red left, blue right
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 20 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	f, _ := os.Create(filepath.Join(dir, "a.png"))
	png.Encode(f, img)
	f.Close()
	gray := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range gray.Pix {
		gray.Pix[i] = 128
	}
	f, _ = os.Create(filepath.Join(dir, "class_b", "b.jpg"))
	jpeg.Encode(f, gray, &jpeg.Options{Quality: 95})
	f.Close()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)

	im, err := ReadImageFolder(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 2 || im.Shape[0] != 3 || im.Shape[1] != 10 || len(im.Pixels) != 2*300 {
		t.Fatalf("N=%d shape=%v pixels=%d", im.N, im.Shape, len(im.Pixels))
	}
	red, blue := im.Pixels[0:100], im.Pixels[200:300]
	if red[5*10+1] != 255 || blue[5*10+1] != 0 || red[5*10+8] != 0 || blue[5*10+8] != 255 {
		t.Fatalf("crop: red row %v, blue row %v", red[50:60], blue[50:60])
	}
	for _, v := range im.Pixels[300:] {
		if v < 120 || v > 136 {
			t.Fatalf("gray JPEG pixel %d, want about 128", v)
		}
	}
	os.WriteFile(filepath.Join(dir, "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	if _, err := ReadImageFolder(dir, 10); err == nil || !strings.Contains(err.Error(), "broken.png") {
		t.Fatalf("corrupt file: %v", err)
	}
	if _, err := ReadImageFolder(t.TempDir(), 10); err == nil {
		t.Fatal("empty folder accepted")
	}
}

// FuzzDecodeImage feeds arbitrary bytes through the image-folder path (decode, size guard,
// resize and crop): it must return an error or size×size RGB planes, never panic or blow up
// memory on a header that claims a huge image.
func FuzzDecodeImage(f *testing.F) {
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 7, 5))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 37)
	}
	png.Encode(&buf, img)
	f.Add(append([]byte(nil), buf.Bytes()...))
	buf.Reset()
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	f.Add(append([]byte(nil), buf.Bytes()...))
	// a PNG header claiming 100000×100000 pixels
	f.Add(pngHeader(100000, 100000))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decodeImage(b, "fuzz.png")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.png") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if px := resizeCrop(img, 6); len(px) != 3*6*6 {
			t.Fatalf("resizeCrop gave %d bytes, want %d", len(px), 3*6*6)
		}
	})
}

func TestHugeImageHeaderRefused(t *testing.T) {
	b := pngHeader(100000, 100000)
	if _, err := decodeImage(b, "huge.png"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("a 100000x100000 header: %v", err)
	}
}

// pngHeader is the signature and IHDR chunk (with its CRC) of a w×h RGB PNG, and no data.
func pngHeader(w, h uint32) []byte {
	chunk := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 2, 0, 0, 0)
	b := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}
