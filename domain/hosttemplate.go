package domain

import (
	"net/netip"
	"strings"
)

// ExpandHost replaces "{host}" in a check's url, address or query with a
// host's address. An IPv6 address is written in brackets, as a host must
// be in host:port and in URLs ("[2001:db8::1]:22", "http://[2001:db8::1]/"),
// and as Prometheus writes it in instance labels; a template that already
// brackets it ("[{host}]") is left as written.
func ExpandHost(template, address string) string {
	a, err := netip.ParseAddr(address)
	if err != nil || !a.Is6() {
		return strings.ReplaceAll(template, "{host}", address)
	}
	t := strings.ReplaceAll(template, "[{host}]", "{host}")
	return strings.ReplaceAll(t, "{host}", "["+address+"]")
}
