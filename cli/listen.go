package cli

import (
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// checkListenFlags validates where dev and demo listen before anything is
// started or created: --ip must be an IP address, ports 1-65535 (the UI
// port 0 disables the UI where allowed), and --metrics-address host:port.
// A bad value is a usage error naming the flag, not a "port in use".
func checkListenFlags(ip string, port, uiPort int, uiOff bool, metrics string) error {
	if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" {
		return UsageError("--ip %q is not an IP address; give one of this machine's addresses, such as 127.0.0.1 (or 0.0.0.0 for every interface)", ip)
	}
	if port < 1 || port > 65535 {
		return UsageError("--port must be 1-65535, got %d", port)
	}
	switch {
	case uiPort == 0 && uiOff:
	case uiPort < 1 || uiPort > 65535:
		return UsageError("--ui-port must be 1-65535, got %d", uiPort)
	case uiPort == port:
		return UsageError("--ui-port and --port are both %d; choose two ports", port)
	}
	if metrics != "" {
		_, p, err := net.SplitHostPort(metrics)
		n, perr := strconv.Atoi(p)
		if err != nil || perr != nil || n < 0 || n > 65535 {
			return UsageError("--metrics-address must be host:port with a port 0-65535, got %q", metrics)
		}
	}
	return nil
}

// warnIfExposed warns loudly when dev or demo listen on an address other
// hosts can reach: the embedded frontend has no authentication and the UI
// offers every write action.
func warnIfExposed(w io.Writer, ip string) {
	if a, err := netip.ParseAddr(ip); err == nil && a.IsLoopback() {
		return
	}
	termf(w, `WARNING: --ip %s exposes this machine's embedded Temporal server to the network:
WARNING:   the frontend has no authentication, so anyone who reaches it can start,
WARNING:   signal, reset or terminate workflows (and with them patch your fleet),
WARNING:   and the Temporal UI offers the same write actions (start, reset,
WARNING:   terminate, batch operations) to every browser that reaches it.
WARNING: Keep the default 127.0.0.1 and use an SSH tunnel (ssh -L 8233:127.0.0.1:8233),
WARNING: or run a real Temporal cluster with authentication.
`, ip)
}

// checkPositive refuses a zero or negative duration flag.
func checkPositive(flag string, d time.Duration) error {
	if d <= 0 {
		return UsageError("%s must be a positive duration such as 30s or 10m, got %s", flag, d)
	}
	return nil
}
