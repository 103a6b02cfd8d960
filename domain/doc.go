// Package domain is patchflow's vocabulary and its pure rules, the one
// place both the CLI (`policy explain`, dry runs, plans) and the workflows
// read them from, so that what a reviewer is shown is what runs.
//
// It holds the typed enums (patch classes, severities and their order,
// host and cycle states, breach, decision-timeout and approval-timeout
// actions, reboot policies, check scopes) and the functions that turn a
// policy's numbers into a rollout: wave sizes, the failure budget, staging
// selection from an inventory's host order, the inventory source rule and
// one host's worst-case time.
//
// The package is a leaf: it imports only the standard library, does no
// I/O and keeps no state, so workflow code may call it (its results are
// deterministic) and so may anything else. A change to a rule here
// changes running cycles: gate it in the workflows with
// workflow.GetVersion (see docs/architecture.md).
package domain
