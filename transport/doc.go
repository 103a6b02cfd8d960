// Package transport runs commands on inventory hosts: agentlessly over SSH
// (golang.org/x/crypto/ssh) or on this machine (os/exec).
//
// Commands are argv slices, never shell strings: every element is quoted by
// [Quote] before it reaches a remote shell, and environment variable names
// are validated. Host keys are always verified against a known_hosts file;
// an unknown or changed key is refused with an actionable [*Error] unless the
// host explicitly opts in to trust-on-first-use. Connections are reused per
// host through a [Pool].
//
// Run returns an error only for transport failures (unreachable, refused,
// timeout, sudo password prompt); a command that ran and exited non-zero is
// a Result with ExitCode set. [Check] turns a non-zero exit into an error
// naming the host, the command and the tail of stderr.
package transport
