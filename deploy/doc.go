// Package deploy holds no Go code of patchflow's binary: it is the home of
// the files that run patchflow for real (compose/, kubernetes/,
// prometheus/, grafana/, Dockerfile) and of the tests that keep them
// correct: promtool checks and rule unit tests, YAML and JSON that parse,
// metric names that patchflow and the Temporal SDK really emit, the
// search attributes the workflows need, and example policies that load.
package deploy
