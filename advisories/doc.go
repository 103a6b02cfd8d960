// Package advisories identifies what a package update fixes and what an
// installed package still exposes: CVE and advisory ids, severity, CISA KEV
// membership, EPSS scores and a documented risk score.
//
// It reads real distribution data, never upstream version ranges:
//
//   - the Debian Security Tracker JSON dump (per source package, CVE and
//     release: status, fixed_version, urgency, nodsa);
//   - Aqua's vuln-list-debian tracker records (CVE, DSA and DLA files);
//   - OSV records of Debian, Ubuntu, AlmaLinux, Rocky Linux, Red Hat and
//     SUSE (a directory or a zip of them);
//   - the CISA Known Exploited Vulnerabilities catalogue (JSON or CSV);
//   - FIRST EPSS daily scores (csv or csv.gz);
//   - on the host itself, with no feed at all: a package's
//     changelog.Debian(.gz) and the output of `dnf updateinfo info`.
//
// Sources are configured in a small YAML file (LoadSources), fetched into a
// cache directory by Sync (local files or http(s) URLs, never from workflow
// code) and loaded into an indexed, read-only DB by Open. Matching is by
// source package and the distribution's own version order
// (go-deb-version, go-rpm-version), with the tracker's states kept apart
// and a documented precedence when sources disagree (see
// docs/vulnerabilities.md).
//
// Every parser streams with limits: a huge, truncated or malformed input is
// a clear error or a counted skip, never a panic or an unbounded read.
package advisories
