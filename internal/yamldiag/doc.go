// Package yamldiag is the strict-YAML diagnostics policies and
// inventories share: one positioned Error and its list, one collector
// with a bound on what one file reports, one node budget against alias
// bombs, one single-document rule with positioned syntax errors, and one
// did-you-mean suggestion for near misses.
//
// Every message quotes input through internal/safetext: at most a short
// excerpt of a value, control characters escaped.
package yamldiag
