package transport

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/patchflow/patchflow/inventory"
)

// flakyConn fails its first Run as a dead connection would.
type flakyConn struct {
	Conn
	dead bool
}

func (c *flakyConn) Run(ctx context.Context, cmd Command) (Result, error) {
	if c.dead {
		return Result{}, &Error{Host: c.Host(), Op: "open session", Kind: Unreachable, Err: errConnDead}
	}
	return c.Conn.Run(ctx, cmd)
}

type flakyDialer struct {
	mu    sync.Mutex
	dials int
}

func (d *flakyDialer) Dial(ctx context.Context, h inventory.Host) (Conn, error) {
	d.mu.Lock()
	d.dials++
	first := d.dials == 1
	d.mu.Unlock()
	c, err := LocalDialer().Dial(ctx, h)
	return &flakyConn{Conn: c, dead: first}, err
}

func TestPoolRedialsOnceWhenCachedConnectionDied(t *testing.T) {
	d := &flakyDialer{}
	p := NewPool(d)
	defer p.Close()
	c, err := p.Get(context.Background(), inventory.Host{Name: "h"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(context.Background(), Command{Args: []string{"echo", "ok"}})
	if err != nil || string(res.Stdout) != "ok\n" {
		t.Fatalf("run after redial: %q %v", res.Stdout, err)
	}
	if d.dials != 2 {
		t.Errorf("dials = %d, want 2 (the dead one and one redial)", d.dials)
	}
}

func TestPoolConcurrentGetDialsOnce(t *testing.T) {
	d := &countingDialer{Dialer: LocalDialer()}
	p := NewPool(&lockedDialer{d: d})
	defer p.Close()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Get(context.Background(), inventory.Host{Name: "h"})
			if err == nil {
				_, err = c.Run(context.Background(), Command{Args: []string{"true"}})
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if d.n != 1 {
		t.Errorf("8 concurrent users dialed %d times, want 1", d.n)
	}
}

type lockedDialer struct {
	mu sync.Mutex
	d  Dialer
}

func (l *lockedDialer) Dial(ctx context.Context, h inventory.Host) (Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.d.Dial(ctx, h)
}

func TestPoolDialErrorIsReturned(t *testing.T) {
	p := NewPool(errDialer{})
	_, err := p.Get(context.Background(), inventory.Host{Name: "h"})
	if KindOf(err) != Unreachable {
		t.Errorf("err = %v", err)
	}
}

type errDialer struct{}

func (errDialer) Dial(_ context.Context, h inventory.Host) (Conn, error) {
	return nil, &Error{Host: h.Name, Op: "connect", Kind: Unreachable, Err: errors.New("no route")}
}
