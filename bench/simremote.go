package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/transport"
)

// The simulated fleet lives in the benchmark's own process and the sim
// workers reach it over a Unix socket (net/rpc), so that any number of
// worker processes see one fleet: an install one worker runs is what the
// verify another worker runs finds, as with real hosts.

// simService is the fleet's RPC service.
type simService struct{ f *SimFleet }

// SimRunArgs is one command for one host.
type SimRunArgs struct {
	Host    string
	Args    []string
	Stdin   []byte
	Timeout time.Duration
}

// SimRunReply is a command's result, or the transport error a real
// connection would have given.
type SimRunReply struct {
	Result  transport.Result
	ErrKind transport.ErrorKind
	ErrMsg  string
}

// SimInventoryReply is the fleet's host names.
type SimInventoryReply struct{ Names []string }

func (s *simService) Dial(host string, reply *SimRunReply) error {
	_, err := s.f.Dial(context.Background(), inventory.Host{Name: host, Address: host})
	reply.ErrKind, reply.ErrMsg = errorParts(err)
	return nil
}

func (s *simService) Run(a SimRunArgs, reply *SimRunReply) error {
	h := s.f.hosts[a.Host]
	if h == nil || h.unreachable {
		reply.ErrKind, reply.ErrMsg = transport.Unreachable, fmt.Sprintf("host %s: connection lost", a.Host)
		return nil
	}
	ctx := context.Background()
	if a.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Timeout)
		defer cancel()
	}
	res, err := s.f.run(ctx, a.Host, h, transport.Command{Args: a.Args, Stdin: a.Stdin})
	reply.Result = res
	reply.ErrKind, reply.ErrMsg = errorParts(err)
	return nil
}

func (s *simService) Inventory(_ struct{}, reply *SimInventoryReply) error {
	reply.Names = s.f.names
	return nil
}

func (s *simService) Stats(_ struct{}, reply *SimStats) error {
	*reply = s.f.Stats()
	return nil
}

func errorParts(err error) (transport.ErrorKind, string) {
	if err == nil {
		return "", ""
	}
	return transport.KindOf(err), err.Error()
}

// SimServer serves a fleet on a Unix socket until Close.
type SimServer struct {
	ln   net.Listener
	Path string
	wg   sync.WaitGroup
}

// ServeSimFleet serves f on the Unix socket path.
func ServeSimFleet(f *SimFleet, path string) (*SimServer, error) {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Sim", &simService{f: f}); err != nil {
		return nil, fmt.Errorf("register simulated fleet service: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("serve simulated fleet on %s: %w", path, err)
	}
	s := &SimServer{ln: ln, Path: path}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.ServeConn(conn)
		}
	}()
	return s, nil
}

// Close stops accepting connections.
func (s *SimServer) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// SimClient reaches a served fleet; it is a transport.Dialer. Calls are
// spread over a few connections so one slow answer does not hold up the
// others' decoding.
type SimClient struct {
	conns []*rpc.Client
	next  atomic.Uint64
}

// DialSimFleet connects to the fleet served on the Unix socket path.
func DialSimFleet(path string) (*SimClient, error) {
	c := &SimClient{}
	for range 4 {
		rc, err := rpc.Dial("unix", path)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("connect to the simulated fleet at %s: %w", path, err)
		}
		c.conns = append(c.conns, rc)
	}
	return c, nil
}

// Close closes the connections.
func (c *SimClient) Close() error {
	var errs []error
	for _, rc := range c.conns {
		errs = append(errs, rc.Close())
	}
	return errors.Join(errs...)
}

func (c *SimClient) call(ctx context.Context, method string, args, reply any) error {
	call := c.conns[c.next.Add(1)%uint64(len(c.conns))].Go("Sim."+method, args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		return call.Error
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Names returns the fleet's host names.
func (c *SimClient) Names(ctx context.Context) ([]string, error) {
	var r SimInventoryReply
	if err := c.call(ctx, "Inventory", struct{}{}, &r); err != nil {
		return nil, fmt.Errorf("read the simulated fleet's hosts: %w", err)
	}
	return r.Names, nil
}

// Stats returns the fleet's state.
func (c *SimClient) Stats(ctx context.Context) (SimStats, error) {
	var r SimStats
	if err := c.call(ctx, "Stats", struct{}{}, &r); err != nil {
		return r, fmt.Errorf("read the simulated fleet's state: %w", err)
	}
	return r, nil
}

// Dial implements transport.Dialer.
func (c *SimClient) Dial(ctx context.Context, h inventory.Host) (transport.Conn, error) {
	var r SimRunReply
	if err := c.call(ctx, "Dial", h.Name, &r); err != nil {
		return nil, &transport.Error{Host: h.Name, Op: "connect", Kind: transport.Unreachable, Err: err}
	}
	if r.ErrKind != "" {
		return nil, &transport.Error{Host: h.Name, Op: "connect", Kind: r.ErrKind, Msg: r.ErrMsg}
	}
	return &simRemoteConn{c: c, host: h.Name}, nil
}

type simRemoteConn struct {
	c    *SimClient
	host string
}

func (s *simRemoteConn) Host() string { return s.host }
func (s *simRemoteConn) Close() error { return nil }

func (s *simRemoteConn) Run(ctx context.Context, cmd transport.Command) (transport.Result, error) {
	if len(cmd.Args) == 0 {
		return transport.Result{}, &transport.Error{Host: s.host, Op: "run", Kind: transport.Invalid, Msg: "empty command"}
	}
	timeout := cmd.Timeout
	if timeout <= 0 {
		timeout = transport.DefaultTimeout
	}
	var r SimRunReply
	err := s.c.call(ctx, "Run", SimRunArgs{Host: s.host, Args: cmd.Args, Stdin: cmd.Stdin, Timeout: timeout}, &r)
	switch {
	case err != nil && ctx.Err() != nil:
		return transport.Result{}, &transport.Error{Host: s.host, Op: "run " + cmd.Args[0], Kind: transport.Timeout, Err: err}
	case err != nil:
		return transport.Result{}, &transport.Error{Host: s.host, Op: "run " + cmd.Args[0], Kind: transport.Unreachable, Err: err}
	case r.ErrKind != "":
		return r.Result, &transport.Error{Host: s.host, Op: "run " + cmd.Args[0], Kind: r.ErrKind, Msg: r.ErrMsg}
	}
	return r.Result, nil
}
