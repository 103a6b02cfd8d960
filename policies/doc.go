// Package policies reads patchflow's policy language: YAML documents with
// apiVersion patchflow/v1 and kind PatchPolicy that say which hosts to patch,
// which updates, when, how fast, how to verify and how to undo.
//
// Loading follows prometheus/rulefmt: defaults first, then a schema walk
// over the yaml.Node tree (unknown keys with a did-you-mean, duplicate keys,
// nulls, wrong types, each at its line and column), a strict decode
// (KnownFields) into the plain Policy struct, and a validation pass. Every
// problem is returned at once as yamldiag.Errors, formatted
// "file:line:col: <object>: <problem>, got <value>".
//
// The vocabulary (classes, severities, actions, check types) and the rules
// (windows, wave sizes, the failure budget, a host's worst case) are
// package domain's: a policy holds domain's enums, and CycleSpec converts
// it into the domain.CycleSpec a cycle runs. Only what the file alone can
// decide is checked here. Checks that need the inventory (a staging group
// that does not exist, waves larger than the fleet) belong to package
// policyspec, which reports them at the policy's positions (ErrorAt).
//
// Policy values hold no YAML nodes and serialise to JSON with stable
// snake_case names; workflows never read policy files.
package policies
