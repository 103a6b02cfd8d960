package transport

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// defaultIdentityFiles are tried, like ssh does, when neither the inventory
// nor ~/.ssh/config names a key.
var defaultIdentityFiles = []string{"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}

// keyCache holds parsed private keys by path so a fleet-wide run reads and
// parses each key once. Only signers are kept, never the file contents.
type keyCache struct {
	mu      sync.Mutex
	signers map[string]ssh.Signer
}

// signer loads the key at path. Errors name the path and never include the
// key material.
func (c *keyCache) signer(path string) (ssh.Signer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.signers[path]; ok {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key %s: %w", path, err)
	}
	s, err := ssh.ParsePrivateKey(data)
	clear(data)
	var pm *ssh.PassphraseMissingError
	if errors.As(err, &pm) {
		return nil, fmt.Errorf("private key %s is passphrase-protected; load it into ssh-agent (ssh-add %s)", path, path)
	}
	if err != nil {
		// The parser's message describes the format problem, not the bytes.
		return nil, fmt.Errorf("parse private key %s: %v", path, err)
	}
	if c.signers == nil {
		c.signers = map[string]ssh.Signer{}
	}
	c.signers[path] = s
	return s, nil
}

// authFor builds the public-key authentication for one endpoint: its key
// files first (explicit ones must exist; default ones are skipped when
// absent), then the keys of ssh-agent when agentSock is set. The returned
// func releases the agent connection after the handshake.
func (d *SSHDialer) authFor(e endpoint) (ssh.AuthMethod, func(), []string, error) {
	var signers []ssh.Signer
	var tried, problems []string
	files, explicit := e.identityFiles, true
	if len(files) == 0 {
		files, explicit = d.defaultKeys, false
	}
	for _, f := range files {
		path := expandHome(f)
		if !explicit {
			if _, err := os.Stat(path); err != nil {
				continue
			}
		}
		tried = append(tried, path)
		s, err := d.keys.signer(path)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		signers = append(signers, s)
	}
	release := func() {}
	if d.agentSock != "" {
		conn, err := net.Dial("unix", d.agentSock)
		if err != nil {
			problems = append(problems, fmt.Sprintf("ssh-agent at %s: %v", d.agentSock, err))
		} else {
			release = func() { conn.Close() }
			as, err := agent.NewClient(conn).Signers()
			if err != nil {
				problems = append(problems, fmt.Sprintf("ssh-agent at %s: %v", d.agentSock, err))
			}
			signers = append(signers, as...)
			tried = append(tried, "ssh-agent")
		}
	}
	if len(signers) == 0 {
		release()
		msg := "no usable private key"
		if len(tried) > 0 {
			msg += " (tried " + strings.Join(tried, ", ") + ")"
		}
		if len(problems) > 0 {
			msg += ": " + strings.Join(problems, "; ")
		}
		return nil, nil, tried, errors.New(msg + "; set identity_file in the inventory or start ssh-agent (SSH_AUTH_SOCK)")
	}
	return ssh.PublicKeys(signers...), release, tried, nil
}
