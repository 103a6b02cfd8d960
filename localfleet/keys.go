package localfleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// newKeyPair writes an OpenSSH ed25519 private key to path and its public
// key to path.pub, and returns the public key.
func newKeyPair(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("localfleet: generate key %s: %w", path, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, fmt.Errorf("localfleet: encode key %s: %w", path, err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("localfleet: encode key %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("localfleet: write key %s: %w", path, err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " " + comment + "\n"
	if err := writeFileAtomic(path+".pub", []byte(line), 0o644); err != nil {
		return nil, err
	}
	return sshPub, nil
}

// loadOrNewKeyPair reuses the key at path when it exists, so a fleet dir
// keeps its key across runs.
func loadOrNewKeyPair(path, comment string) (ssh.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return newKeyPair(path, comment)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return newKeyPair(path, comment)
	}
	return signer.PublicKey(), nil
}

// writeFileAtomic replaces path in one rename, so readers never see half a
// file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("localfleet: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("localfleet: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("localfleet: write %s: %w", path, err)
	}
	return nil
}
