package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/patchflow/patchflow/inventory"
)

// Pool reuses one connection per host. It is safe for concurrent use; Run
// calls on a pooled connection may run concurrently (SSH multiplexes them as
// sessions on one connection).
type Pool struct {
	dialer Dialer
	mu     sync.Mutex
	conns  map[string]*pooledConn
	closed bool
}

// NewPool returns a pool dialing hosts with d. Hosts whose Transport is
// "local" are run through LocalDialer regardless of d.
func NewPool(d Dialer) *Pool {
	return &Pool{dialer: d, conns: map[string]*pooledConn{}}
}

// poolKey identifies a connection: the same inventory name with a changed
// address, port or user gets a new connection.
func poolKey(h inventory.Host) string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%s\x00%t\x00%s", h.Name, h.Address, h.Port, h.User, h.Become, h.Transport)
}

// Get returns the pooled connection to h, dialing it on first use. The
// returned Conn belongs to the pool: its Close is a no-op; use Forget or
// Close on the pool.
func (p *Pool) Get(ctx context.Context, h inventory.Host) (Conn, error) {
	key := poolKey(h)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, &Error{Host: h.Name, Op: "connect", Kind: Closed, Err: errors.New("connection pool is closed")}
	}
	pc := p.conns[key]
	if pc == nil {
		pc = &pooledConn{pool: p, host: h}
		p.conns[key] = pc
	}
	p.mu.Unlock()
	if _, err := pc.current(ctx); err != nil {
		return nil, err
	}
	return pc, nil
}

// Forget closes and drops the pooled connection to the host with this
// inventory name, if any (for example after the host rebooted).
func (p *Pool) Forget(name string) {
	p.mu.Lock()
	var drop []*pooledConn
	for k, pc := range p.conns {
		if pc.host.Name == name {
			drop = append(drop, pc)
			delete(p.conns, k)
		}
	}
	p.mu.Unlock()
	for _, pc := range drop {
		pc.reset(nil)
	}
}

// Close closes every pooled connection; later Gets fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[string]*pooledConn{}
	p.closed = true
	p.mu.Unlock()
	var errs []error
	for _, pc := range conns {
		if err := pc.reset(nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pooledConn holds the live connection of one host and redials once when
// that connection turns out to be dead.
type pooledConn struct {
	pool *Pool
	host inventory.Host

	mu   sync.Mutex // serialises dialing
	conn Conn
}

func (pc *pooledConn) Host() string { return pc.host.Name }

// Close is a no-op: the pool owns the connection.
func (pc *pooledConn) Close() error { return nil }

// current returns the live connection, dialing if there is none.
func (pc *pooledConn) current(ctx context.Context) (Conn, error) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.conn != nil {
		return pc.conn, nil
	}
	c, err := ForHost(pc.host, pc.pool.dialer).Dial(ctx, pc.host)
	if err != nil {
		return nil, err
	}
	pc.conn = c
	return c, nil
}

// reset closes old (or whatever is current, when old is nil) so the next
// current() dials again; a connection another goroutine already replaced is
// left alone.
func (pc *pooledConn) reset(old Conn) error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.conn == nil || (old != nil && pc.conn != old) {
		return nil
	}
	err := pc.conn.Close()
	pc.conn = nil
	return err
}

// Run runs cmd on the cached connection. When the connection proved dead
// before the command started (the host rebooted, a NAT dropped it), it is
// redialed once and the command run on the new connection.
func (pc *pooledConn) Run(ctx context.Context, cmd Command) (Result, error) {
	c, err := pc.current(ctx)
	if err != nil {
		return Result{}, err
	}
	res, err := c.Run(ctx, cmd)
	if !errors.Is(err, errConnDead) {
		return res, err
	}
	_ = pc.reset(c)
	c, err = pc.current(ctx)
	if err != nil {
		return Result{}, err
	}
	return c.Run(ctx, cmd)
}

// errConnDead marks a Run error where the connection was unusable and the
// command never started, so running it again elsewhere is safe.
var errConnDead = errors.New("connection is no longer usable")
