// Package planfile is patchflow's reviewed plan: the pinned packages and
// exact versions each host of a cycle gets, in which wave, with the
// fingerprint of the state each host was planned from, in a stable,
// diff-friendly JSON file that is reviewed like code (a Markdown rendering
// goes into a pull request comment) and then applied as is.
//
// A plan is content-addressed: its sha256 covers everything in it. It
// records the policy's sha256, so a changed policy makes it refuse, and
// each host's fingerprint, so a host that changed since does too. It is
// made from a dry-run cycle (its source) and can be rebuilt from that
// cycle's results in Temporal: applying a file proves it is the plan the
// dry run made, not an edited copy.
package planfile
