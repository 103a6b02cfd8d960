// Package hostscan finds what a host has pending and what each pending
// update fixes. It is the one scan both the cycle (the ScanHosts activity)
// and `patchflow inventory scan` run: refresh the package index, list the
// pending updates, stamp each with when patchflow first saw it (a file on
// the host) and when its advisory was published, and identify it: CVEs and
// other advisory ids, severity, KEV, EPSS and risk, from the package
// manager's own data (a candidate's changelog.Debian.gz, dnf's and
// zypper's updateinfo) and from the advisory feeds synced into the cache
// (package advisories).
//
// Each distinct (source package, version) changelog is read once per
// worker and reused for every host that has the same update pending.
package hostscan
