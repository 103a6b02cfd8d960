// Package policies reads patchflow's policy language: YAML documents with
// apiVersion patchflow/v1 and kind PatchPolicy that say which hosts to patch,
// which updates, when, how fast, how to verify and how to undo.
//
// Loading follows prometheus/rulefmt: defaults first, then a schema walk
// over the yaml.Node tree (unknown keys with a did-you-mean, duplicate keys,
// nulls, wrong types, each at its line and column), a strict decode
// (KnownFields) into the plain Policy struct, and a validation pass. Every
// problem is returned at once as Errors, formatted
// "file:line:col: <object>: <problem>, got <value>".
//
// Only what the file alone can decide is checked here. Checks that need the
// inventory (a staging group that does not exist, waves larger than the
// fleet) or a package manager belong to the layer that resolves a policy
// against them; it calls Plan, WaveSizes, EffectiveBudget and ErrorAt, so its
// errors still point into the policy file.
//
// Policy values hold no YAML nodes and serialise to JSON with stable
// snake_case names: the CLI parses a policy and passes it to workflows as a
// typed value; workflows never read policy files.
package policies
