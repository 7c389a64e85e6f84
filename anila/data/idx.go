package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Images is a batch of 8-bit images or an IDX array: N items of shape Shape (e.g. C, H, W),
// stored contiguously in Pixels, with optional Labels (one per item).
type Images struct {
	N      int
	Shape  []int
	Pixels []byte
	Labels []byte
}

// ItemSize is the number of values per item (the product of Shape).
func (im Images) ItemSize() int {
	s := 1
	for _, d := range im.Shape {
		s *= d
	}
	return s
}

// maxIDXBytes caps what an IDX header may announce, so that a corrupt header cannot make the
// reader allocate without bound.
const maxIDXBytes = 1 << 32

// open returns the file's contents as a reader, gunzipping when it starts with gzip's magic.
func open(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: bad gzip header: %v", path, err)
		}
		return zr, f.Close, nil
	}
	return br, f.Close, nil
}

// ReadIDX reads an IDX file of unsigned bytes (MNIST and Fashion-MNIST images or labels),
// gzipped or not. The first dimension is N, the rest the item shape.
func ReadIDX(path string) (Images, error) {
	r, closeFn, err := open(path)
	if err != nil {
		return Images{}, err
	}
	defer closeFn()
	return ParseIDX(r, path)
}

// ParseIDX parses IDX bytes from r; name labels errors, which give the byte offset.
func ParseIDX(r io.Reader, name string) (Images, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return Images{}, fmt.Errorf("%s: truncated IDX header at offset 0", name)
	}
	if head[0] != 0 || head[1] != 0 {
		return Images{}, fmt.Errorf("%s: not an IDX file: bad magic % x at offset 0", name, head[:2])
	}
	if head[2] != 0x08 {
		return Images{}, fmt.Errorf("%s: IDX element type 0x%02x at offset 2 is not supported (only unsigned bytes, 0x08)", name, head[2])
	}
	nd := int(head[3])
	if nd < 1 || nd > 4 {
		return Images{}, fmt.Errorf("%s: IDX has %d dimensions at offset 3, want 1 to 4", name, nd)
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return Images{}, fmt.Errorf("%s: truncated IDX header at offset %d", name, 4+4*i)
		}
		dims[i] = int(d)
		total *= int64(d)
		if total > maxIDXBytes {
			return Images{}, fmt.Errorf("%s: IDX dimensions at offset %d announce more than %d bytes", name, 4+4*i, int64(maxIDXBytes))
		}
	}
	off := 4 + 4*nd
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, total)
	if err != nil || got != total {
		return Images{}, fmt.Errorf("%s: truncated IDX data at offset %d: %d of %d bytes", name, int64(off)+got, got, total)
	}
	if extra, _ := io.CopyN(io.Discard, r, 1); extra != 0 {
		return Images{}, fmt.Errorf("%s: unexpected bytes after the IDX data at offset %d", name, int64(off)+total)
	}
	return Images{N: dims[0], Shape: dims[1:], Pixels: buf.Bytes()}, nil
}

// CIFAR-10 binary record layout: one label byte, then 32×32 red, green and blue planes.
const (
	cifarSide   = 32
	cifarRecord = 1 + 3*cifarSide*cifarSide
)

// ReadCIFAR10 reads CIFAR-10 binary batches (data_batch_1.bin ... test_batch.bin): images as
// N×3×32×32 (NCHW, the file's own layout) and their labels.
func ReadCIFAR10(paths ...string) (Images, error) {
	out := Images{Shape: []int{3, cifarSide, cifarSide}}
	for _, p := range paths {
		r, closeFn, err := open(p)
		if err != nil {
			return Images{}, err
		}
		im, err := ParseCIFAR10(r, p)
		closeFn()
		if err != nil {
			return Images{}, err
		}
		out.N += im.N
		out.Pixels = append(out.Pixels, im.Pixels...)
		out.Labels = append(out.Labels, im.Labels...)
	}
	return out, nil
}

// ParseCIFAR10 parses one CIFAR-10 binary batch from r; name labels errors, which give the
// byte offset.
func ParseCIFAR10(r io.Reader, name string) (Images, error) {
	out := Images{Shape: []int{3, cifarSide, cifarSide}}
	rec := make([]byte, cifarRecord)
	for off := int64(0); ; off += cifarRecord {
		n, err := io.ReadFull(r, rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Images{}, fmt.Errorf("%s: truncated CIFAR-10 record at offset %d (%d of %d bytes)", name, off, n, cifarRecord)
		}
		if rec[0] > 9 {
			return Images{}, fmt.Errorf("%s: CIFAR-10 label %d at offset %d is not in 0..9", name, rec[0], off)
		}
		out.Labels = append(out.Labels, rec[0])
		out.Pixels = append(out.Pixels, rec[1:]...)
		out.N++
		if int64(len(out.Pixels)) > maxIDXBytes {
			return Images{}, fmt.Errorf("%s: more than %d bytes of images", name, int64(maxIDXBytes))
		}
	}
	if out.N == 0 {
		return Images{}, fmt.Errorf("%s: no CIFAR-10 records", name)
	}
	return out, nil
}

// Scale maps bytes 0..255 to [-1, 1] into dst (len(src)).
func Scale[T ~float32 | ~float64](dst []T, src []byte) {
	for i, v := range src {
		dst[i] = T(float64(v)/127.5 - 1)
	}
}
