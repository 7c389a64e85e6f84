package run

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Error is a bad parameter: its name and a message that names the bad value. Type says
// that the value has the wrong kind (Python raises TypeError for it, ValueError otherwise).
type Error struct {
	Param string
	Type  bool
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

func typeErr(name, format string, a ...any) error {
	return &Error{Param: name, Type: true, Msg: fmt.Sprintf(format, a...)}
}

func valueErr(name, format string, a ...any) error {
	return &Error{Param: name, Msg: fmt.Sprintf(format, a...)}
}

// Box is a resolved "box" parameter: a word, none (Null), or the pair (Lo, Hi).
type Box struct {
	Word   string
	Null   bool
	Lo, Hi float64
}

// NonFinite are the strings that stand for non-finite floats in the JSON Resolve reads
// (JSON has no NaN or infinity): "NaN", "Infinity" and "-Infinity".
var NonFinite = map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}

// ReprKey marks a value that JSON cannot carry (an object of the caller's language): a JSON
// object {ReprKey: "its repr"}, so that errors can name it.
const ReprKey = "__repr__"

// pyRepr writes a decoded JSON value as Python's repr writes the value it came from.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case json.Number:
		if f, err := x.Float64(); err == nil && strings.ContainsAny(string(x), ".eE") {
			return pyFloat(f)
		}
		return string(x)
	case float64:
		return pyFloat(x)
	case int:
		return strconv.Itoa(x)
	case string:
		if f, ok := NonFinite[x]; ok {
			return pyFloat(f)
		}
		return "'" + strings.ReplaceAll(x, "'", "\\'") + "'"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if r, ok := x[ReprKey].(string); ok && len(x) == 1 {
			return r
		}
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// pyFloat formats a float as Python's repr does.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == math.Trunc(f) && math.Abs(f) < 1e16:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64) // Go writes exponents as Python does: 1e-05, 1e+16
}

func pyList(choices []string) string {
	parts := make([]string, len(choices))
	for i, c := range choices {
		parts[i] = "'" + c + "'"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// asFloat reads a number (or a non-finite marker) as a float.
func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		f, ok := NonFinite[x]
		return f, ok
	}
	return 0, false
}

func (p Param) bounds(name string, f float64, show string) error {
	if p.Min != nil && (f < *p.Min || (p.MinOpen && f == *p.Min)) {
		op := ">="
		if p.MinOpen {
			op = ">"
		}
		return valueErr(p.Name, "%s must be %s %s, got %s", name, op, p.boundText(*p.Min), show)
	}
	if p.Max != nil && (f > *p.Max || (p.MaxOpen && f == *p.Max)) {
		op := "<="
		if p.MaxOpen {
			op = "<"
		}
		return valueErr(p.Name, "%s must be %s %s, got %s", name, op, p.boundText(*p.Max), show)
	}
	return nil
}

func (p Param) boundText(b float64) string {
	if p.Kind == "int" || p.Kind == "ints" {
		if b >= math.MaxInt64 {
			return strconv.FormatInt(math.MaxInt64, 10)
		}
		return strconv.FormatInt(int64(b), 10)
	}
	return pyFloat(b)
}

// intValue reads an integer within the bounds; name is what errors call it.
func (p Param) intValue(name string, v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			f, ferr := x.Float64()
			if ferr != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return 0, valueErr(p.Name, "%s must be <= %d, got %s", name, int64(math.MaxInt64), x)
				}
				return 0, typeErr(p.Name, "%s must be an integer, got %s", name, pyRepr(v))
			}
			if math.Abs(f) >= math.MaxInt64 {
				return 0, valueErr(p.Name, "%s must be <= %d, got %s", name, int64(math.MaxInt64), pyFloat(f))
			}
			i = int64(f)
		}
		n = i
	case int:
		n = int64(x)
	default:
		return 0, typeErr(p.Name, "%s must be an integer, got %s", name, pyRepr(v))
	}
	if p.Max != nil && *p.Max >= math.MaxInt64 {
		q := p
		q.Max = nil
		return n, q.bounds(name, float64(n), strconv.FormatInt(n, 10))
	}
	return n, p.bounds(name, float64(n), strconv.FormatInt(n, 10))
}

// floatValue reads a finite float within the bounds.
func (p Param) floatValue(name string, v any) (float64, error) {
	if _, isBool := v.(bool); isBool {
		return 0, typeErr(p.Name, "%s must be a number, got %s", name, pyRepr(v))
	}
	f, ok := asFloat(v)
	if !ok {
		return 0, typeErr(p.Name, "%s must be a number, got %s", name, pyRepr(v))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, valueErr(p.Name, "%s must be finite, got %s", name, pyFloat(f))
	}
	return f, p.bounds(name, f, pyFloat(f))
}

// value reads the parameter's value v (decoded JSON with json.Number) against its kind
// and bounds: int64, float64, bool, string, []int, [2]float64, Box or []any (layers).
func (p Param) value(v any) (any, error) {
	switch p.Kind {
	case "int":
		return p.intValue(p.Name, v)
	case "float":
		return p.floatValue(p.Name, v)
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return nil, typeErr(p.Name, "%s must be True or False, got %s", p.Name, pyRepr(v))
		}
		return b, nil
	case "choice":
		s, ok := v.(string)
		if !ok {
			return nil, typeErr(p.Name, "%s must be one of %s, got %s", p.Name, pyList(p.Choices), pyRepr(v))
		}
		for _, c := range p.Choices {
			if s == c {
				return s, nil
			}
		}
		return nil, valueErr(p.Name, "%s must be one of %s, got %s", p.Name, pyList(p.Choices), pyRepr(v))
	case "ints":
		list, ok := v.([]any)
		if !ok {
			return nil, typeErr(p.Name, "%s must be a sequence of layer widths, got %s", p.Name, pyRepr(v))
		}
		out := make([]int, len(list))
		for i, e := range list {
			n, err := p.intValue(fmt.Sprintf("%s[%d]", p.Name, i), e)
			if err != nil {
				return nil, err
			}
			out[i] = int(n)
		}
		return out, nil
	case "pair":
		list, ok := v.([]any)
		if !ok || len(list) != 2 {
			return nil, typeErr(p.Name, "%s must be a pair (beta1, beta2), got %s", p.Name, pyRepr(v))
		}
		var out [2]float64
		for i, e := range list {
			f, err := p.floatValue(fmt.Sprintf("%s[%d]", p.Name, i), e)
			if err != nil {
				return nil, err
			}
			out[i] = f
		}
		return out, nil
	case "box":
		return p.boxValue(v)
	case "layers":
		list, ok := v.([]any)
		if ok {
			for _, s := range list {
				if _, isMap := s.(map[string]any); !isMap {
					ok = false
				}
			}
		}
		if !ok || len(list) == 0 {
			return nil, typeErr(p.Name, "layers must be a non-empty list of layer specs (dicts), got %s; pass energy=anila.nn.Sequential(...) instead", pyRepr(v))
		}
		return list, nil
	}
	return nil, fmt.Errorf("run: parameter %s has unknown kind %q", p.Name, p.Kind)
}

func (p Param) boxValue(v any) (Box, error) {
	if v == nil && p.Nullable {
		return Box{Null: true}, nil
	}
	if s, ok := v.(string); ok {
		for _, w := range p.Choices {
			if s == w {
				return Box{Word: s}, nil
			}
		}
	}
	list, ok := v.([]any)
	if !ok || len(list) != 2 {
		words := make([]string, len(p.Choices))
		for i, w := range p.Choices {
			words[i] = "'" + w + "'"
		}
		null := ""
		if p.Nullable {
			null = "None "
		}
		return Box{}, typeErr(p.Name, "%s must be %s, %sor a pair (lo, hi), got %s", p.Name, strings.Join(words, ", "), null, pyRepr(v))
	}
	q := Param{Name: p.Name, Kind: "float"}
	lo, err := q.floatValue(p.Name+"[0]", list[0])
	if err != nil {
		return Box{}, err
	}
	hi, err := q.floatValue(p.Name+"[1]", list[1])
	if err != nil {
		return Box{}, err
	}
	if !(lo < hi) {
		return Box{}, valueErr(p.Name, "%s must have lo < hi, got %s", p.Name, pyRepr(v))
	}
	return Box{Lo: lo, Hi: hi}, nil
}
