package devserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// PortInUseError reports a port another process already holds. The server
// and UI libraries exit the whole process on a busy port, so Start checks
// every fixed port first and returns this instead.
type PortInUseError struct {
	What string // "Temporal frontend", "Temporal UI"
	Addr string
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s port %s is in use: %v", e.What, e.Addr, e.Err)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// checkPortFree fails with a *PortInUseError when another process holds
// ip:port, and with a plain error naming the address when it cannot be
// bound for another reason (an address of another machine, say), which is
// not "in use" and is not fixed by another port.
func checkPortFree(what, ip string, port int) error {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return &PortInUseError{What: what, Addr: addr, Err: err}
	case err != nil:
		return fmt.Errorf("%s cannot listen on %s: %w (is %s an address of this machine?)", what, addr, err, ip)
	}
	return l.Close()
}

// freePort asks the kernel for a free port for the server's internal
// services (history, matching, worker), which need no fixed address.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
