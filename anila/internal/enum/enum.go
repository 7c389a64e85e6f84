// Package enum stores anila's small integer enums (sampler, anisotropy, chain start,
// optimizer) by name in JSON, so that model files and the metadata Python reads name their
// choices; it still reads the integers that model files of format version 1 hold.
package enum

import (
	"encoding/json"
	"fmt"
)

// Unmarshal decodes b, a JSON string naming the value (parse maps names to values) or, as
// format-1 files wrote it, a JSON integer in [0, last].
func Unmarshal[E ~int](b []byte, parse func(string) (E, error), last E) (E, error) {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		return parse(s)
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return 0, fmt.Errorf("want a name or an integer, got %s", b)
	}
	if n < 0 || n > int(last) {
		return 0, fmt.Errorf("value %d out of range [0, %d]", n, int(last))
	}
	return E(n), nil
}
