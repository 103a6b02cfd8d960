package transport

import (
	"context"

	"github.com/patchflow/patchflow/inventory"
)

// Conn is an open connection to one host.
type Conn interface {
	// Host returns the inventory name of the host.
	Host() string
	// Run runs cmd and waits for it. The error is non-nil only for transport
	// failures (*Error); a command that exits non-zero returns its Result
	// with a nil error (see Check).
	Run(ctx context.Context, cmd Command) (Result, error)
	Close() error
}

// Dialer opens connections to inventory hosts.
type Dialer interface {
	Dial(ctx context.Context, h inventory.Host) (Conn, error)
}

// ForHost picks the dialer a host asks for: the local dialer for
// Transport "local", sshDialer otherwise.
func ForHost(h inventory.Host, sshDialer Dialer) Dialer {
	if h.Transport == inventory.TransportLocal {
		return LocalDialer()
	}
	return sshDialer
}
