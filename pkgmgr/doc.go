// Package pkgmgr drives a host's package manager through a transport.Conn:
// refresh the index, list installed versions and pending updates with their
// classification, pre-download, install exact pinned versions (upgrade or
// downgrade), report reboot-required and a broken or locked state.
//
// Drivers parse machine-readable output (dpkg-query -W -f, python3-apt's
// JSON, rpm --qf, zypper --xmlout) and never trust an exit code alone:
// every Install is verified against the package database afterwards.
// Package names and versions are checked against the package manager's
// own grammar (ValidName, ValidVersion) before anything reaches a host.
//
// Drivers register themselves (see register) with the OS families they
// serve; Detect picks one from /etc/os-release, then from the binaries
// present.
package pkgmgr
