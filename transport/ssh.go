package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"golang.org/x/crypto/ssh"
)

// DefaultConnectTimeout bounds TCP connect plus SSH handshake and
// authentication for each hop, unless the host sets its own.
const DefaultConnectTimeout = 10 * time.Second

// SSHDialer connects to hosts over SSH. Create it with NewSSHDialer; it is
// safe for concurrent use.
type SSHDialer struct {
	configPath     string
	knownHosts     string
	connectTimeout time.Duration
	agentSock      string
	defaultKeys    []string
	outputLimit    int
	keys           keyCache
	dials          atomic.Int64
}

// SSHOption configures an SSHDialer.
type SSHOption func(*SSHDialer)

// WithSSHConfigFile reads OpenSSH client settings (HostName, Port, User,
// IdentityFile, ProxyJump) from path instead of ~/.ssh/config; "" ignores
// any ssh config.
func WithSSHConfigFile(path string) SSHOption { return func(d *SSHDialer) { d.configPath = path } }

// WithKnownHostsFile sets the known_hosts file for hosts whose inventory
// entry names none (default ~/.ssh/known_hosts).
func WithKnownHostsFile(path string) SSHOption { return func(d *SSHDialer) { d.knownHosts = path } }

// WithConnectTimeout sets the connect timeout for hosts that set none.
func WithConnectTimeout(t time.Duration) SSHOption {
	return func(d *SSHDialer) { d.connectTimeout = t }
}

// WithAgentSocket uses the ssh-agent at path instead of $SSH_AUTH_SOCK; ""
// disables the agent.
func WithAgentSocket(path string) SSHOption { return func(d *SSHDialer) { d.agentSock = path } }

// WithIdentityFiles replaces the default keys (~/.ssh/id_ed25519, id_ecdsa,
// id_rsa) tried for hosts that name no key.
func WithIdentityFiles(paths ...string) SSHOption {
	return func(d *SSHDialer) { d.defaultKeys = paths }
}

// WithOutputLimit sets how many bytes of stdout and of stderr are kept.
func WithOutputLimit(n int) SSHOption { return func(d *SSHDialer) { d.outputLimit = n } }

// NewSSHDialer returns a dialer using ~/.ssh/config, ~/.ssh/known_hosts,
// the default keys and $SSH_AUTH_SOCK unless options say otherwise.
func NewSSHDialer(opts ...SSHOption) *SSHDialer {
	d := &SSHDialer{
		configPath:     "~/.ssh/config",
		knownHosts:     inventory.DefaultKnownHostsFile,
		connectTimeout: DefaultConnectTimeout,
		agentSock:      os.Getenv("SSH_AUTH_SOCK"),
		defaultKeys:    defaultIdentityFiles,
		outputLimit:    DefaultOutputLimit,
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Dials returns how many connections to target hosts this dialer has
// established (jump hops not counted); it lets tests and metrics see reuse.
func (d *SSHDialer) Dials() int64 { return d.dials.Load() }

// Dial connects to h, through its ProxyJump chain when it has one, and
// verifies every hop's host key.
func (d *SSHDialer) Dial(ctx context.Context, h inventory.Host) (Conn, error) {
	fail := func(kind ErrorKind, err error) error {
		return &Error{Host: h.Name, Op: "connect", Kind: kind, Err: err}
	}
	cfg, err := loadSSHConfig(d.configPath)
	if err != nil {
		return nil, fail(Invalid, err)
	}
	target, jumpSpec, err := resolveHost(cfg, h)
	if err != nil {
		return nil, fail(Invalid, err)
	}
	var hops []endpoint
	if jumpSpec != "" {
		if hops, err = parseJumps(cfg, jumpSpec, target.user); err != nil {
			return nil, fail(Invalid, err)
		}
		// A jump host with no key of its own uses the target's (the
		// inventory's identity_file usually serves the whole fleet).
		for i := range hops {
			if len(hops[i].identityFiles) == 0 {
				hops[i].identityFiles = target.identityFiles
			}
		}
	}
	hops = append(hops, target)
	timeout := h.SSH.ConnectTimeout
	if timeout <= 0 {
		timeout = d.connectTimeout
	}
	khFile := h.SSH.KnownHostsFile
	if khFile == "" {
		khFile = d.knownHosts
	}
	khFile = expandHome(khFile)
	if err := checkKnownHostsPath(khFile, h.SSH.TrustOnFirstUse); err != nil {
		return nil, fail(Invalid, err)
	}

	var clients []*ssh.Client
	closeAll := func() {
		for i := len(clients) - 1; i >= 0; i-- {
			clients[i].Close()
		}
	}
	for i, ep := range hops {
		last := i == len(hops)-1
		label := h.Name
		if !last {
			label = fmt.Sprintf("%s (jump host %s)", h.Name, ep.name)
		}
		var prev *ssh.Client
		if i > 0 {
			prev = clients[i-1]
		}
		hopCtx, cancel := context.WithTimeout(ctx, timeout)
		c, err := d.dialHop(hopCtx, prev, ep, label, khFile, last && h.SSH.TrustOnFirstUse, timeout)
		cancel()
		if err != nil {
			closeAll()
			return nil, err
		}
		clients = append(clients, c)
	}
	d.dials.Add(1)
	client := clients[len(clients)-1]
	conn := &sshConn{
		host: h.Name, user: target.user, sudo: h.Become && target.user != "root",
		client: client, hops: clients[:len(clients)-1], outputLimit: d.outputLimit,
	}
	go func() {
		// The server or network ended the connection: later Runs redial.
		_ = client.Wait()
		conn.dead.Store(true)
	}()
	return conn, nil
}

// dialHop opens a TCP connection to ep (directly, or through prev) and runs
// the SSH handshake, all bounded by ctx.
func (d *SSHDialer) dialHop(ctx context.Context, prev *ssh.Client, ep endpoint, label, khFile string, tofu bool, timeout time.Duration) (*ssh.Client, error) {
	hostport := ep.hostPort()
	op := "connect to " + ep.user + "@" + hostport
	raw, err := dialTCP(ctx, prev, hostport)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no TCP connection within %s: %w", timeout, err)
		}
		return nil, &Error{Host: label, Op: op, Kind: Unreachable, Err: err}
	}
	// Closing the socket is the only way to bound a handshake on a channel
	// connection (jump hops do not support deadlines).
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	auth, release, tried, err := d.authFor(ep)
	if err != nil {
		stop()
		raw.Close()
		return nil, &Error{Host: label, Op: op, Kind: AuthRefused, Err: err}
	}
	checker := &hostKeyChecker{host: label, file: khFile, tofu: tofu}
	conf := &ssh.ClientConfig{
		User:              ep.user,
		Auth:              []ssh.AuthMethod{auth},
		HostKeyCallback:   checker.callback(),
		HostKeyAlgorithms: knownHostAlgorithms(khFile, hostport),
		Timeout:           timeout,
	}
	sc, chans, reqs, err := ssh.NewClientConn(raw, hostport, conf)
	release()
	timedOut := !stop()
	if err != nil {
		raw.Close()
		switch {
		case checker.err != nil:
			return nil, checker.err
		case timedOut:
			return nil, &Error{Host: label, Op: op, Kind: Unreachable,
				Err: fmt.Errorf("no SSH handshake within %s", timeout)}
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, &Error{Host: label, Op: op, Kind: AuthRefused, Msg: fmt.Sprintf(
				"host %s: %s refused our keys (tried %s); authorise one of them in ~%s/.ssh/authorized_keys there or set identity_file",
				label, hostport, strings.Join(tried, ", "), ep.user)}
		default:
			return nil, &Error{Host: label, Op: op, Kind: Unreachable, Err: err}
		}
	}
	if timedOut {
		sc.Close()
		return nil, &Error{Host: label, Op: op, Kind: Unreachable, Err: fmt.Errorf("no SSH handshake within %s", timeout)}
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

// dialTCP connects to hostport directly or through an SSH jump client.
func dialTCP(ctx context.Context, via *ssh.Client, hostport string) (net.Conn, error) {
	if via == nil {
		var nd net.Dialer
		return nd.DialContext(ctx, "tcp", hostport)
	}
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := via.Dial("tcp", hostport)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, errors.Join(ctx.Err(), errors.New("jump host did not open the connection"))
	}
}
