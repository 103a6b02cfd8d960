package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// PackageState is one planned package on one host as a plan saw it.
type PackageState struct {
	Name      string `json:"name"`
	Installed string `json:"installed"`
	Candidate string `json:"candidate"`
}

// Fingerprint is the state a plan was made from on one host: the host,
// its running kernel, and the installed and candidate version of every
// package the plan pins on it. A plan applies only to hosts whose
// fingerprint is unchanged. It is never empty: a host without a kernel or
// a package to pin has no fingerprint (an error), so a plan made from an
// unknown state can never match.
func Fingerprint(host, kernel string, pkgs []PackageState) (string, error) {
	if host == "" || kernel == "" || len(pkgs) == 0 {
		return "", fmt.Errorf("host %q: no fingerprint without a running kernel and packages to pin", host)
	}
	lines := make([]string, 0, len(pkgs)+2)
	lines = append(lines, "host "+host, "kernel "+kernel)
	for _, p := range pkgs {
		lines = append(lines, "package "+p.Name+" "+p.Installed+" "+p.Candidate)
	}
	slices.Sort(lines[2:])
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n") + "\n"))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
