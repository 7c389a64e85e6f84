// Package metric holds sample-quality metrics: the maximum mean discrepancy (mmd.go).
package metric
