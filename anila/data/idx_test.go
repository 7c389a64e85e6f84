package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func idxBytes(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestReadIDX(t *testing.T) {
	dir := t.TempDir()
	pix := make([]byte, 3*2*4)
	for i := range pix {
		pix[i] = byte(i * 10)
	}
	raw := idxBytes([]uint32{3, 2, 4}, pix)
	for name, content := range map[string][]byte{"plain.idx": raw, "zipped.idx.gz": gz(raw)} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, content, 0o644)
		im, err := ReadIDX(p)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != 3 || len(im.Shape) != 2 || im.Shape[0] != 2 || im.Shape[1] != 4 || !bytes.Equal(im.Pixels, pix) {
			t.Fatalf("%s: got N=%d shape=%v", name, im.N, im.Shape)
		}
	}
	bad := map[string]struct {
		b    []byte
		want string
	}{
		"truncated data": {raw[:len(raw)-5], "offset"},
		"bad magic":      {append([]byte{1, 2}, raw[2:]...), "bad magic"},
		"float type":     {append([]byte{0, 0, 0x0d}, raw[3:]...), "not supported"},
		"short header":   {raw[:6], "truncated IDX header at offset 4"},
		"extra bytes":    {append(append([]byte(nil), raw...), 1, 2), "after the IDX data"},
		"huge dims":      {idxBytes([]uint32{1 << 30, 1 << 30}, nil), "announce more"},
	}
	for name, c := range bad {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, c.b, 0o644)
		_, err := ReadIDX(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file and %q", name, err, c.want)
		}
	}
}

func TestReadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	var b []byte
	for k := 0; k < 3; k++ {
		rec := make([]byte, cifarRecord)
		rec[0] = byte(k * 4)
		for i := 1; i < len(rec); i++ {
			rec[i] = byte(i + k)
		}
		b = append(b, rec...)
	}
	p1, p2 := filepath.Join(dir, "data_batch_1.bin"), filepath.Join(dir, "data_batch_2.bin")
	os.WriteFile(p1, b, 0o644)
	os.WriteFile(p2, b[:cifarRecord], 0o644)
	im, err := ReadCIFAR10(p1, p2)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 4 || !bytes.Equal(im.Labels, []byte{0, 4, 8, 0}) || len(im.Pixels) != 4*3072 {
		t.Fatalf("N=%d labels=%v pixels=%d", im.N, im.Labels, len(im.Pixels))
	}
	if im.Pixels[3072] != 2 { // second record (k = 1), first red pixel: record byte 1 holds 1+k
		t.Fatalf("pixel layout: %d", im.Pixels[3072])
	}
	p3 := filepath.Join(dir, "truncated.bin")
	os.WriteFile(p3, b[:cifarRecord+100], 0o644)
	if _, err := ReadCIFAR10(p3); err == nil || !strings.Contains(err.Error(), "offset 3073") || !strings.Contains(err.Error(), p3) {
		t.Errorf("truncated: %v", err)
	}
	bad := append([]byte(nil), b...)
	bad[cifarRecord] = 12
	p4 := filepath.Join(dir, "badlabel.bin")
	os.WriteFile(p4, bad, 0o644)
	if _, err := ReadCIFAR10(p4); err == nil || !strings.Contains(err.Error(), "label 12 at offset 3073") {
		t.Errorf("bad label: %v", err)
	}
	x := make([]float32, 3)
	Scale(x, []byte{0, 255, 128})
	if x[0] != -1 || x[1] != 1 || x[2] <= 0 {
		t.Errorf("Scale: %v", x)
	}
}

// FuzzParseIDX checks that the IDX parser never panics. Run longer with
//
//	go test ./anila/data -run '^$' -fuzz FuzzParseIDX -fuzztime 2m
func FuzzParseIDX(f *testing.F) {
	f.Add(idxBytes([]uint32{2, 2}, []byte{1, 2, 3, 4}))
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 5, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := ParseIDX(bytes.NewReader(b), "fuzz")
		if err == nil && len(im.Pixels) != im.N*im.ItemSize() {
			t.Fatalf("%d pixels for %d items of %v", len(im.Pixels), im.N, im.Shape)
		}
	})
}

// FuzzParseCIFAR10 checks that the CIFAR-10 parser never panics. Run longer with
//
//	go test ./anila/data -run '^$' -fuzz FuzzParseCIFAR10 -fuzztime 2m
func FuzzParseCIFAR10(f *testing.F) {
	f.Add(make([]byte, cifarRecord))
	f.Add(make([]byte, cifarRecord+7))
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := ParseCIFAR10(bytes.NewReader(b), "fuzz")
		if err == nil && (len(im.Labels) != im.N || len(im.Pixels) != im.N*3072) {
			t.Fatal("inconsistent result")
		}
	})
}

// TestFashionMNISTFromDebian reads the files of Debian's dataset-fashion-mnist package,
// which `make test` installs.
func TestFashionMNISTFromDebian(t *testing.T) {
	p := "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
	if _, err := os.Stat(p); err != nil {
		t.Skip("dataset-fashion-mnist is not installed (make test installs it)")
	}
	im, err := ReadIDX(p)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := ReadIDX("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 10000 || im.Shape[0] != 28 || im.Shape[1] != 28 || lab.N != 10000 {
		t.Fatalf("images %d×%v, labels %d", im.N, im.Shape, lab.N)
	}
	for _, l := range lab.Pixels {
		if l > 9 {
			t.Fatalf("label %d", l)
		}
	}
}
