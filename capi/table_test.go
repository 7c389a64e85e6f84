package capi

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestExportTableListsEveryExport checks table.c, name by name, against the //export lines
// of export.go: every data-plane function is in the table exactly once, under its own name,
// and the table holds nothing else.
func TestExportTableListsEveryExport(t *testing.T) {
	src, err := os.ReadFile("export.go")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range regexp.MustCompile(`(?m)^//export (\w+)$`).FindAllStringSubmatch(string(src), -1) {
		want = append(want, m[1])
	}
	got := ExportNames()
	addrs, err := ExportTable()
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != len(got) {
		t.Fatalf("%d addresses for %d names", len(addrs), len(got))
	}
	seen := map[uintptr]bool{}
	for i, a := range addrs {
		if a == 0 || seen[a] {
			t.Fatalf("entry %d (%s): address %#x is zero or repeated", i, got[i], a)
		}
		seen[a] = true
	}
	slices.Sort(want)
	sorted := slices.Sorted(slices.Values(got))
	if !slices.Equal(sorted, want) {
		t.Fatalf("table.c lists %v, export.go exports %v", sorted, want)
	}
}
