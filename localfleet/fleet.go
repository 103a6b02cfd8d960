package localfleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Fleet is a running test fleet.
type Fleet struct {
	Name                 string
	Dir                  string
	InventoryPath        string // patchflow YAML inventory (apiVersion patchflow/v1, kind Inventory), user root
	DeployInventoryPath  string // the same hosts as user deploy with become (sudo -n)
	AnsibleInventoryPath string // the same hosts as an Ansible INI inventory
	KeyPath              string // the fleet's private key, authorised for root, deploy and deploy-pw
	KnownHostsPath       string // every host's key, by address and name
	RepoURL              string // http://10.213.<Subnet>.2:8080/
	RepoDir              string // what the repository serves
	Hosts                []Host
	// SecurityUpdates names the real Debian security updates the
	// repository carries (installed version in the base, fixed version in
	// the bookworm-security suite); empty when none was found, and the demo
	// packages are the only updates.
	SecurityUpdates []string
	SecurityDetails []SecurityUpdate

	cfg         Config
	hosts       map[string]*host
	order       []*host
	kinds       []hostKind
	repoAddr    string
	repoKeyPath string
	gnupgHome   string
	repoPID     int
	nameLock    *os.File                 // held while the fleet exists
	subnetLock  *os.File                 // likewise
	knownMu     sync.Mutex               // known_hosts rewrites
	knownKeys   map[string]ssh.PublicKey // what known_hosts says, by host
	stop        chan struct{}
	wg          sync.WaitGroup
	downOnce    sync.Once
	downErr     error
}

// Up starts a fleet: it removes what a crashed earlier run with the same
// Name left behind, builds the shared base if needed, starts the repository
// and boots every host in parallel, returning when each sshd answers.
func Up(ctx context.Context, cfg Config) (*Fleet, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	if os.Geteuid() != 0 {
		return nil, errors.New("localfleet: the test fleet needs root (namespaces, mounts, a bridge)")
	}
	if err := checkTools(); err != nil {
		return nil, err
	}
	kinds, err := kindsFor(cfg)
	if err != nil {
		return nil, err
	}
	// One live fleet per name on the machine: a second Up with the same
	// name (another process) waits, instead of tearing the first one down
	// as leftovers. The lock ends with its process, so a crashed run's
	// leftovers are cleaned below.
	nameLock, err := lockFleet(ctx, cfg, "name", cfg.Name)
	if err != nil {
		return nil, err
	}
	subnetLock, err := lockFleet(ctx, cfg, "subnet", strconv.Itoa(cfg.Subnet))
	if err != nil {
		nameLock.Close()
		return nil, err
	}
	if err := cleanupLeftovers(ctx, cfg); err != nil {
		nameLock.Close()
		subnetLock.Close()
		return nil, err
	}
	f := &Fleet{
		Name:                 cfg.Name,
		Dir:                  cfg.Dir,
		InventoryPath:        filepath.Join(cfg.Dir, "inventory.yaml"),
		DeployInventoryPath:  filepath.Join(cfg.Dir, "inventory-deploy.yaml"),
		AnsibleInventoryPath: filepath.Join(cfg.Dir, "ansible.ini"),
		KeyPath:              filepath.Join(cfg.Dir, "keys", "id_ed25519"),
		KnownHostsPath:       filepath.Join(cfg.Dir, "known_hosts"),
		RepoDir:              filepath.Join(cfg.Dir, "repo"),
		cfg:                  cfg,
		hosts:                map[string]*host{},
		repoAddr:             subnetAddr(cfg.Subnet, 2),
		repoKeyPath:          filepath.Join(cfg.Dir, "keys", "repo.gpg"),
		gnupgHome:            filepath.Join(cfg.Dir, "gnupg"),
		stop:                 make(chan struct{}),
		nameLock:             nameLock,
		subnetLock:           subnetLock,
	}
	f.RepoURL = fmt.Sprintf("http://%s:%d/", f.repoAddr, repoPort)
	if err := f.up(ctx, kinds); err != nil {
		if derr := f.Down(); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, err
	}
	return f, nil
}

func (f *Fleet) up(ctx context.Context, kinds []kindHosts) error {
	start := time.Now()
	cfg := f.cfg
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "hosts"), 0o755); err != nil {
		return fmt.Errorf("localfleet: create %s: %w", cfg.Dir, err)
	}
	pub, err := loadOrNewKeyPair(f.KeyPath, "patchflow-fleet-"+cfg.Name)
	if err != nil {
		return err
	}
	// Kinds first: the base may need a build, which Up's timeout excludes.
	for _, kh := range kinds {
		k := kh.kind
		f.kinds = append(f.kinds, k)
		if err := k.prepare(ctx, f); err != nil {
			return err
		}
		for j := 0; j < kh.hosts; j++ {
			idx := len(f.order) + 1
			h := &host{
				Host:  Host{Name: hostName(cfg.Name, idx), Addr: subnetAddr(cfg.Subnet, 10+idx), Kind: k.name()},
				index: idx,
				ns:    hostNS(cfg.Name, idx),
				veth:  vethName(cfg.Name, idx),
				dir:   filepath.Join(cfg.Dir, "hosts", hostName(cfg.Name, idx)),
				kind:  k,
				state: "down",
			}
			h.root = filepath.Join(h.dir, "root")
			f.order = append(f.order, h)
			f.hosts[h.Name] = h
			f.Hosts = append(f.Hosts, h.Host)
		}
	}
	cfg.Logf("localfleet: fleet %s: base and repository ready in %s", cfg.Name, time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(ctx, cfg.UpTimeout)
	defer cancel()
	start = time.Now()
	if err := setupBridge(ctx, cfg.Name, cfg.Subnet); err != nil {
		return err
	}
	if err := f.startRepo(ctx); err != nil {
		return err
	}
	authorized := ssh.MarshalAuthorizedKey(pub)
	errs := make([]error, len(f.order))
	hostKeys := make([]ssh.PublicKey, len(f.order))
	var wg sync.WaitGroup
	for i, h := range f.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hostKeys[i], errs[i] = f.startHost(ctx, h, authorized)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := f.writeKnownHosts(hostKeys); err != nil {
		return err
	}
	if err := f.writeInventories(); err != nil {
		return err
	}
	cfg.Logf("localfleet: fleet %s: %d hosts up in %s", cfg.Name, len(f.order), time.Since(start).Round(time.Millisecond))
	return nil
}

// startHost prepares one host's disk and network, boots it and waits for
// its sshd.
func (f *Fleet) startHost(ctx context.Context, h *host, authorized []byte) (ssh.PublicKey, error) {
	if err := h.mountOverlay(); err != nil {
		return nil, err
	}
	hostKey, err := newKeyPair(filepath.Join(h.root, "etc/ssh/ssh_host_ed25519_key"), "root@"+h.Name)
	if err != nil {
		return nil, err
	}
	if err := writeInRoot(h.root, "etc/hostname", []byte(h.Name+"\n"), 0o644, 0, 0); err != nil {
		return nil, fmt.Errorf("localfleet: host %s: %w", h.Name, err)
	}
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n%s\t%s\n%s\trepo\n", h.Addr, h.Name, f.repoAddr)
	if err := writeInRoot(h.root, "etc/hosts", []byte(hosts), 0o644, 0, 0); err != nil {
		return nil, fmt.Errorf("localfleet: host %s: %w", h.Name, err)
	}
	if err := authorize(h.root, authorized); err != nil {
		return nil, fmt.Errorf("localfleet: host %s: authorise the fleet key: %w", h.Name, err)
	}
	if err := h.kind.customize(f, h); err != nil {
		return nil, err
	}
	if err := attach(ctx, h.ns, h.veth, bridgeName(f.Name), h.Addr); err != nil {
		return nil, err
	}
	if err := f.boot(h); err != nil {
		return nil, err
	}
	if err := waitSSH(ctx, h.Addr); err != nil {
		return nil, fmt.Errorf("localfleet: host %s: %w (log: %s)", h.Name, err, filepath.Join(h.dir, "log"))
	}
	return hostKey, nil
}

// host returns the named host or an error listing the fleet's hosts.
func (f *Fleet) host(name string) (*host, error) {
	if h, ok := f.hosts[name]; ok {
		return h, nil
	}
	names := make([]string, 0, len(f.order))
	for _, h := range f.order {
		names = append(names, h.Name)
	}
	return nil, fmt.Errorf("localfleet: fleet %s has no host %q (hosts: %s)", f.Name, name, strings.Join(names, ", "))
}

// lockFleet takes the machine-wide lock of the fleet's name or subnet,
// waiting (as long as ctx allows) while another process has a fleet with
// the same one.
func lockFleet(ctx context.Context, cfg Config, what, value string) (*os.File, error) {
	if err := os.MkdirAll(netStateDir, 0o755); err != nil {
		return nil, fmt.Errorf("localfleet: create %s: %w", netStateDir, err)
	}
	path := filepath.Join(netStateDir, "fleet-"+what+"-"+value+".lock")
	try, cancel := context.WithTimeout(ctx, 0)
	lock, err := lockFile(try, path, syscall.LOCK_EX)
	cancel()
	if err == nil {
		return lock, nil
	}
	cfg.Logf("localfleet: fleet %s %s is in use by another process; waiting for it to go down", what, value)
	lock, err = lockFile(ctx, path, syscall.LOCK_EX)
	if err != nil {
		return nil, fmt.Errorf("localfleet: fleet %s %s is in use by another process (each test package needs its own Name and Subnet): %w", what, value, err)
	}
	return lock, nil
}
