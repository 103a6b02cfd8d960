package transport

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"

	"github.com/patchflow/patchflow/internal/safetext"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyChecker verifies one server's key against a known_hosts file. The
// first refusal is kept in err, because x/crypto/ssh wraps callback errors in
// a generic handshake error.
type hostKeyChecker struct {
	host  string // inventory name, for messages
	file  string // known_hosts path (expanded)
	tofu  bool
	mu    sync.Mutex
	err   *Error
	added bool
}

// tofuMu serialises appends within this process; flock serialises them
// with other processes.
var tofuMu sync.Mutex

// callback returns the ssh.HostKeyCallback enforcing the file.
func (k *hostKeyChecker) callback() ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := k.check(hostname, remote, key)
		if err != nil {
			k.mu.Lock()
			if k.err == nil {
				var te *Error
				if errors.As(err, &te) {
					k.err = te
				}
			}
			k.mu.Unlock()
		}
		return err
	}
}

func (k *hostKeyChecker) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	cb, err := readKnownHosts(k.file)
	if err != nil {
		return &Error{Host: k.host, Op: "verify host key", Kind: HostKeyUnknown, Err: err}
	}
	err = cb(hostname, remote, key)
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(ke.Want) == 0:
		if k.tofu {
			if err := appendKnownHost(k.file, hostname, key); err != nil {
				return &Error{Host: k.host, Op: "trust host key on first use", Kind: HostKeyUnknown, Err: err}
			}
			k.added = true
			return nil
		}
		return &Error{Host: k.host, Op: "verify host key", Kind: HostKeyUnknown, Msg: fmt.Sprintf(
			"host %s: host key for %s is not in %s (%s %s); verify the fingerprint out of band, then add it with `ssh-keyscan -p %s %s >> %s`, or set trust_on_first_use for this host",
			k.host, hostname, k.file, key.Type(), ssh.FingerprintSHA256(key), portOf(hostname), addrOf(hostname), k.file)}
	case errors.As(err, &ke):
		w := ke.Want[0]
		return &Error{Host: k.host, Op: "verify host key", Kind: HostKeyChanged, Msg: fmt.Sprintf(
			"host %s: HOST KEY CHANGED for %s: it now offers %s %s but %s:%d has %s %s; this may be an attack or a reinstalled host: verify the new fingerprint out of band, then remove the old entry with `ssh-keygen -R %s -f %s` and add the new one",
			k.host, hostname, key.Type(), ssh.FingerprintSHA256(key), w.Filename, w.Line, w.Key.Type(), ssh.FingerprintSHA256(w.Key),
			knownhosts.Normalize(hostname), k.file)}
	default:
		return &Error{Host: k.host, Op: "verify host key", Kind: HostKeyChanged, Err: err}
	}
}

// readKnownHosts parses the file; a missing file knows no hosts.
func readKnownHosts(file string) (ssh.HostKeyCallback, error) {
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return func(string, net.Addr, ssh.PublicKey) error {
			return &knownhosts.KeyError{}
		}, nil
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		// The parser may quote a line of the file; keep only an excerpt.
		return nil, fmt.Errorf("read known_hosts %s: %s", file, safetext.Message(err.Error()))
	}
	return cb, nil
}

// appendKnownHost adds a line for hostname, under an exclusive flock so
// concurrent first connections (threads or processes) do not interleave.
// The file is re-read under the lock: another writer may have added the
// host meanwhile, and a key added by someone else is not overwritten.
func appendKnownHost(file, hostname string, key ssh.PublicKey) error {
	tofuMu.Lock()
	defer tofuMu.Unlock()
	// Never a directory: trust on first use writes only where the operator
	// already keeps files (checkKnownHostsPath).
	if err := checkKnownHostsPath(file, true); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	// Judge what was opened, not what the path named a moment ago.
	if st, err := f.Stat(); err != nil {
		return fmt.Errorf("stat %s: %w", file, err)
	} else if err := checkOwnedRegular(file, st); err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", file, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it anyway
	cb, err := readKnownHosts(file)
	if err != nil {
		return err
	}
	var ke *knownhosts.KeyError
	if err := cb(hostname, probeAddr, key); err == nil {
		return nil
	} else if errors.As(err, &ke) && len(ke.Want) > 0 {
		return fmt.Errorf("%s gained a different key for %s meanwhile; refusing to add another", file, hostname)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		return fmt.Errorf("append to %s: %w", file, err)
	}
	return nil
}

// knownHostAlgorithms returns the host key algorithms the file holds for
// hostport, so the server is asked for the key type we can verify (a host
// with both RSA and ed25519 keys, known by its RSA key, would otherwise be
// reported as changed). nil means "no preference".
func knownHostAlgorithms(file, hostport string) []string {
	cb, err := readKnownHosts(file)
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if err := cb(hostport, probeAddr, probeKey); !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, w := range ke.Want {
		for _, a := range algorithmsForKeyType(w.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algorithmsForKeyType(t string) []string {
	switch t {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		return []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	default:
		return []string{t}
	}
}

// probeKey is a fixed public key no real host has; checking it against the
// file reveals which keys the file holds for a host.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic("transport: probe key: " + err.Error())
	}
	return k
}()

// probeAddr stands in for the remote address where only the host name is
// checked (knownhosts prefers the name when both are given).
var probeAddr = &net.TCPAddr{IP: net.IPv4zero}

func addrOf(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return h
}

func portOf(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return strconv.Itoa(22)
	}
	return p
}
