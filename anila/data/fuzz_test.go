package data

import "testing"

// FuzzToy checks that the toy generators never panic and give finite points. Run longer with
//
//	go test ./anila/data -run '^$' -fuzz FuzzToy -fuzztime 2m
func FuzzToy(f *testing.F) {
	for _, name := range ToyNames() {
		f.Add(name, 10, uint64(1))
	}
	f.Add("nope", -5, uint64(0))
	f.Fuzz(func(t *testing.T, name string, n int, seed uint64) {
		x, err := Toy(name, n%2000, seed)
		if err != nil {
			return
		}
		for _, v := range x {
			if v != v {
				t.Fatal("NaN")
			}
		}
	})
}
