package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/anila-ebm/anila/anila/nn"
)

// Magic opens every saved trainer. FormatVersion is the version this code writes; it reads
// every version from OldestFormat on. Version 2 names the enums of the configuration
// (sampler, anisotropy, chain start, optimizer) where version 1 stored their integers.
// Version 3 holds the run's Plan and no caller's note (the notes of versions 1 and 2 are
// read for the run's target, checkpoint interval and data fingerprint only).
const (
	Magic         = "ANILACKP"
	FormatVersion = 3
	OldestFormat  = 1
)

// header is the JSON part of a checkpoint.
type header struct {
	Dtype   string  `json:"dtype"`
	Arch    nn.Arch `json:"arch"`
	Config  Config  `json:"config"`
	Iter    int     `json:"iter"`
	OptStep int     `json:"opt_step"`
	RNG     []byte  `json:"rng"`
	Plan    *Plan   `json:"plan,omitempty"`
	// Note is the free-form text of format versions 1 and 2 (the Python package kept its
	// parameters and the run's settings there); it is read, never written.
	Note     string    `json:"note,omitempty"`
	Sections []section `json:"sections"`
}

type section struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	Bits  int    `json:"bits"` // 32 or 64
}

func dtypeName[T nn.Float]() string {
	if nn.Is64[T]() {
		return "float64"
	}
	return "float32"
}

// Marshal encodes the trainer whole — config, parameters, optimizer moments, replay buffer,
// random state, iteration and history, but not the data — with a trailing SHA-256.
func (t *Trainer[T]) Marshal() ([]byte, error) {
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	bits := 32
	if nn.Is64[T]() {
		bits = 64
	}
	h := header{Dtype: dtypeName[T](), Arch: t.Arch, Config: t.Config, Iter: t.Iter, OptStep: t.opt.T, RNG: rng, Plan: t.Plan}
	type part struct {
		s   section
		f   []T
		f64 []float64
	}
	parts := []part{
		{s: section{"params", len(t.Params), bits}, f: t.Params},
		{s: section{"opt_m", len(t.opt.M), 64}, f64: t.opt.M},
		{s: section{"opt_v", len(t.opt.V), 64}, f64: t.opt.V},
		{s: section{"buffer", len(t.Buffer), bits}, f: t.Buffer},
	}
	if t.Average != nil {
		parts = append(parts, part{s: section{"average", len(t.Average), bits}, f: t.Average})
	}
	if sn := t.Net.SpectralState(); len(sn) > 0 {
		parts = append(parts, part{s: section{"spectral", len(sn), 64}, f64: sn})
	}
	for i, col := range t.History.Columns() {
		parts = append(parts, part{s: section{"history/" + HistoryFields[i], len(*col), 64}, f64: *col})
	}
	for _, p := range parts {
		h.Sections = append(h.Sections, p.s)
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(Magic)
	binary.Write(&buf, binary.LittleEndian, uint32(FormatVersion))
	binary.Write(&buf, binary.LittleEndian, uint64(len(hj)))
	buf.Write(hj)
	for _, p := range parts {
		if p.f == nil {
			binary.Write(&buf, binary.LittleEndian, p.f64)
			continue
		}
		if bits == 64 {
			v := make([]float64, len(p.f))
			for i, x := range p.f {
				v[i] = float64(x)
			}
			binary.Write(&buf, binary.LittleEndian, v)
		} else {
			v := make([]float32, len(p.f))
			for i, x := range p.f {
				v[i] = float32(x)
			}
			binary.Write(&buf, binary.LittleEndian, v)
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// Save writes the trainer to path atomically: a temporary file in the same folder, fsync,
// then rename, so a crash leaves either the old file or the new one, never a torn one.
func (t *Trainer[T]) Save(path string) error {
	b, err := t.Marshal()
	if err != nil {
		return err
	}
	return WriteAtomic(path, b)
}

// WriteAtomic writes b to path through a synced temporary file and a rename. The file gets
// the mode os.Create would give a new one, 0666 less the umask (os.CreateTemp makes 0600).
func WriteAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if mode, ok := createMode(); ok {
		if err := f.Chmod(mode); err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// PeekDtype reads the element type ("float32" or "float64") a checkpoint holds.
func PeekDtype(b []byte) (string, error) {
	h, _, err := parse(b)
	if err != nil {
		return "", err
	}
	return h.Dtype, nil
}

// parse checks magic, version and checksum and returns the header and the payload.
func parse(b []byte) (header, []byte, error) {
	var h header
	if len(b) < len(Magic)+12+sha256.Size {
		return h, nil, fmt.Errorf("not an anila model file: only %d bytes", len(b))
	}
	if string(b[:len(Magic)]) != Magic {
		return h, nil, fmt.Errorf("not an anila model file: bad magic at offset 0")
	}
	body, tail := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	ver := binary.LittleEndian.Uint32(b[8:12])
	if ver < OldestFormat || ver > FormatVersion {
		return h, nil, fmt.Errorf("model file format version %d is not supported (this anila reads versions %d to %d)",
			ver, OldestFormat, FormatVersion)
	}
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], tail) {
		return h, nil, fmt.Errorf("model file is corrupt or truncated: checksum mismatch")
	}
	hl := binary.LittleEndian.Uint64(b[12:20])
	if hl > uint64(len(body)-20) {
		return h, nil, fmt.Errorf("model file is corrupt: header length %d at offset 12 exceeds the file", hl)
	}
	if err := json.Unmarshal(body[20:20+hl], &h); err != nil {
		return h, nil, fmt.Errorf("model file is corrupt: bad header at offset 20: %v", err)
	}
	return h, body[20+hl:], nil
}

// Unmarshal rebuilds a trainer saved by Marshal; it has no data until SetData.
func Unmarshal[T nn.Float](b []byte) (*Trainer[T], error) {
	h, payload, err := parse(b)
	if err != nil {
		return nil, err
	}
	if h.Dtype != dtypeName[T]() {
		return nil, fmt.Errorf("model file holds %s, not %s", h.Dtype, dtypeName[T]())
	}
	t, err := New[T](h.Config, h.Arch, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("model file has a bad configuration: %w", err)
	}
	t.Config = h.Config
	t.Iter, t.opt.T = h.Iter, h.OptStep
	t.Plan = h.Plan
	if t.Plan == nil && h.Note != "" {
		t.Plan = planFromNote(h.Note, h.Config)
	}
	if err := t.pcg.UnmarshalBinary(h.RNG); err != nil {
		return nil, fmt.Errorf("model file has a bad random state: %w", err)
	}
	t.rng = rand.New(t.pcg)
	d := t.Dim()
	off := 0
	hasAverage := false
	for _, s := range h.Sections {
		if s.Count < 0 || s.Count > len(payload) || (s.Bits != 32 && s.Bits != 64) {
			return nil, fmt.Errorf("model file is corrupt: section %q has count %d, bits %d", s.Name, s.Count, s.Bits)
		}
		size := s.Count * s.Bits / 8
		if size > len(payload)-off {
			return nil, fmt.Errorf("model file is truncated in section %q", s.Name)
		}
		raw := payload[off : off+size]
		off += size
		vals := make([]float64, s.Count)
		for i := range vals {
			if s.Bits == 64 {
				vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			} else {
				vals[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			}
		}
		switch {
		case s.Name == "params":
			if s.Count != len(t.Params) {
				return nil, fmt.Errorf("model file has %d parameters, its architecture needs %d", s.Count, len(t.Params))
			}
			for i, v := range vals {
				t.Params[i] = T(v)
			}
		case s.Name == "average":
			if s.Count != len(t.Params) || t.Average == nil {
				return nil, fmt.Errorf("model file has a parameter average of %d values, want %d (ema %v)", s.Count, len(t.Average), t.Config.EMA)
			}
			for i, v := range vals {
				t.Average[i] = T(v)
			}
			hasAverage = true
		case s.Name == "opt_m" || s.Name == "opt_v":
			if s.Count != len(t.Params) {
				return nil, fmt.Errorf("model file has %d optimizer moments, want %d", s.Count, len(t.Params))
			}
			if s.Name == "opt_m" {
				t.opt.M = vals
			} else {
				t.opt.V = vals
			}
		case s.Name == "spectral":
			if err := t.Net.SetSpectralState(vals); err != nil {
				return nil, fmt.Errorf("model file: %w", err)
			}
		case s.Name == "buffer":
			if s.Count%d != 0 || (t.Buffer != nil && s.Count != len(t.Buffer)) {
				return nil, fmt.Errorf("model file has a buffer of %d values, want %d", s.Count, len(t.Buffer))
			}
			if s.Count > 0 {
				t.Buffer = make([]T, s.Count)
				for i, v := range vals {
					t.Buffer[i] = T(v)
				}
			}
		default:
			found := false
			for i, name := range HistoryFields {
				if s.Name == "history/"+name {
					*t.History.Columns()[i] = vals
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("model file has an unknown section %q", s.Name)
			}
		}
	}
	if off != len(payload) {
		return nil, fmt.Errorf("model file is corrupt: %d unexpected bytes after the last section", len(payload)-off)
	}
	if !hasAverage {
		copy(t.Average, t.Params) // the average starts here
	}
	if t.History.JumpAccept == nil && t.History.Len() > 0 { // files from before the jump move
		t.History.JumpAccept = make([]float64, t.History.Len())
		for i := range t.History.JumpAccept {
			t.History.JumpAccept[i] = math.NaN()
		}
	}
	if n := t.History.Len(); n != t.Iter {
		return nil, fmt.Errorf("model file is corrupt: %d history entries for %d iterations", n, t.Iter)
	}
	for _, col := range t.History.Columns() {
		if len(*col) != t.Iter {
			return nil, fmt.Errorf("model file is corrupt: history columns differ in length")
		}
	}
	if err := t.prepare(); err != nil {
		return nil, err
	}
	return t, nil
}

// Load reads a trainer saved by Save.
func Load[T nn.Float](path string) (*Trainer[T], error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Unmarshal[T](b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// planFromNote reads the run settings of a format 1 or 2 file's note (the Python package's
// {"anila_params": {...}, "run": {...}}): the target iterations, checkpoint interval, data
// fingerprint and ranks of a checkpointed run, and the box settings and jump width as given.
// The checkpoint path the note also held is ignored: where to write belongs to the caller.
// A note it cannot read gives nil.
func planFromNote(note string, c Config) *Plan {
	var n struct {
		Params map[string]json.RawMessage `json:"anila_params"`
		Run    *struct {
			Iterations      int    `json:"iterations"`
			CheckpointEvery int    `json:"checkpoint_every"`
			DataSHA256      string `json:"data_sha256"`
			Ranks           int    `json:"ranks"`
			Rank            int    `json:"rank"`
		} `json:"run"`
	}
	if json.Unmarshal([]byte(note), &n) != nil || n.Params == nil {
		return nil
	}
	p := &Plan{Seed: c.Seed, BufferSize: c.BufferSize}
	read := func(key string, dst any) { _ = json.Unmarshal(n.Params[key], dst) }
	read("iterations", &p.Iterations)
	read("seed", &p.Seed)
	read("buffer_size", &p.BufferSize)
	read("clamp", &p.Clamp)
	read("noise_box", &p.NoiseBox)
	read("jump_width", &p.JumpWidth)
	read("standardize", &p.Standardize)
	if r := n.Run; r != nil {
		p.Iterations, p.CheckpointEvery, p.DataSHA256, p.Ranks, p.Rank = r.Iterations, r.CheckpointEvery, r.DataSHA256, r.Ranks, r.Rank
	}
	return p
}
