package inventory

import (
	"testing"
)

func TestParseSSHArgs(t *testing.T) {
	tests := []struct {
		args        string
		jump, known string
		tofu        bool
		wantErr     string
	}{
		{args: "-o ProxyJump=jump@bastion:2222", jump: "jump@bastion:2222"},
		{args: "-oProxyJump=bastion", jump: "bastion"},
		{args: "-J a@b,c@d:22", jump: "a@b,c@d:22"},
		{args: `-o ProxyCommand="ssh -W %h:%p -q jump@bastion"`, jump: "jump@bastion"},
		{args: `-o 'ProxyCommand=ssh -p 2222 -l ops -W %h:%p bastion'`, jump: "ops@bastion:2222"},
		{args: "-C -o ServerAliveInterval=30 -o UserKnownHostsFile=/etc/ssh/fleet_known_hosts", known: "/etc/ssh/fleet_known_hosts"},
		{args: "-o StrictHostKeyChecking=accept-new", tofu: true},
		// "no" turns checking off in OpenSSH; patchflow keeps verifying.
		{args: "-o StrictHostKeyChecking=no"},
		{args: `-o ProxyCommand="nc %h %p"`, wantErr: `ProxyCommand "nc %h %p" is not supported; use -o ProxyJump=user@host:port`},
		{args: "-o ProxyJump=$(reboot)", wantErr: `proxy jump "$(reboot)": address "$(reboot)" contains '$'; want a DNS name or an IP address`},
		{args: "-o", wantErr: "ssh option -o needs a value"},
		{args: `-o "ProxyJump=x`, wantErr: `unterminated " in "-o \"ProxyJump=x"`},
	}
	for _, tt := range tests {
		s, err := parseSSHArgs(tt.args, "/inv")
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: error = %v, want %s", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.args, err)
			continue
		}
		if s.proxyJump != tt.jump || s.knownHostsFile != tt.known || (s.tofu != nil && *s.tofu) != tt.tofu {
			t.Errorf("%s: jump=%q known=%q tofu=%v", tt.args, s.proxyJump, s.knownHostsFile, s.tofu != nil && *s.tofu)
		}
	}
}

func TestValidProxyJump(t *testing.T) {
	for _, ok := range []string{"bastion", "u@bastion:22", "u@[2001:db8::1]:22", "10.0.0.1,u@10.0.0.2:2222", "2001:db8::1"} {
		if err := validProxyJump(ok); err != nil {
			t.Errorf("validProxyJump(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "u@", "b:0", "-oProxyCommand=x", "a,,b", "[::1", "[::1]x"} {
		if err := validProxyJump(bad); err == nil {
			t.Errorf("validProxyJump(%q) accepted", bad)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct{ source, data, want string }{
		{"hosts", "web1\nweb2\n", FormatAnsibleINI},
		{"hosts", "# c\n[web]\nweb1\n", FormatAnsibleINI},
		{"hosts", "web1:2222\n", FormatAnsibleINI},
		{"hosts", "all:\n  hosts:\n", FormatAnsibleYAML},
		{"hosts", "---\nall: {}\n", FormatAnsibleYAML},
		{"hosts", "apiVersion: patchflow/v1\n", FormatAnsibleYAML}, // YAML; the apiVersion key then picks patchflow's format
		{"hosts.yml", "web1\n", FormatAnsibleYAML},
		{"hosts.ini", "all:\n", FormatAnsibleINI},
	}
	for _, tt := range tests {
		if got := detectFormat(tt.source, []byte(tt.data)); got != tt.want {
			t.Errorf("detectFormat(%q, %q) = %s, want %s", tt.source, tt.data, got, tt.want)
		}
	}
}

func TestParseWithoutSourceKeepsRelativePaths(t *testing.T) {
	inv, err := Parse("", []byte("h1 ansible_ssh_private_key_file=keys/id patchflow_known_hosts_file=kh patchflow_trust_on_first_use=true\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := inv.Hosts[0]
	if h.SSH.IdentityFile != "keys/id" || h.SSH.KnownHostsFile != "kh" || !h.SSH.TrustOnFirstUse {
		t.Errorf("ssh = %+v", h.SSH)
	}
}
