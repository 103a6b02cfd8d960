package domain

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// SelectStaging picks the staging hosts: the hosts, in inventory order,
// that the staging selector matched or the policy names, capped at count
// when count > 0. Staging hosts come from the whole inventory: a staging
// group need not be among the targets.
func SelectStaging(inventoryOrder []string, staged func(host string) bool, count int) []string {
	var out []string
	for _, h := range inventoryOrder {
		if count > 0 && len(out) >= count {
			break
		}
		if staged(h) {
			out = append(out, h)
		}
	}
	return out
}

// Production is the targets minus the staging hosts, in target order: the
// hosts the waves patch.
func Production(targets, staging []string) []string {
	inStaging := make(map[string]bool, len(staging))
	for _, h := range staging {
		inStaging[h] = true
	}
	out := make([]string, 0, len(targets))
	for _, h := range targets {
		if !inStaging[h] {
			out = append(out, h)
		}
	}
	return out
}

// InventorySource is where a policy's inventory is read from: an http(s)
// URL as written, or a path made absolute against the directory of the
// policy file (policyFile may be "" for the working directory). Any other
// URL scheme is an error.
func InventorySource(policyFile, inventory string) (source string, isURL bool, err error) {
	if inventory == "" {
		return "", false, fmt.Errorf("targets.inventory is empty")
	}
	if scheme, _, ok := strings.Cut(inventory, "://"); ok && !strings.ContainsAny(scheme, "/\\") {
		u, err := url.Parse(inventory)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", false, fmt.Errorf("inventory URL must be http:// or https:// with a host, got scheme %q", scheme)
		}
		return inventory, true, nil
	}
	if filepath.IsAbs(inventory) {
		return filepath.Clean(inventory), false, nil
	}
	base := "."
	if policyFile != "" {
		base = filepath.Dir(policyFile)
	}
	abs, err := filepath.Abs(filepath.Join(base, inventory))
	if err != nil {
		return "", false, fmt.Errorf("inventory %s: %w", inventory, err)
	}
	return abs, false, nil
}
