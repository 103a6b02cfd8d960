package domain

import "testing"

func TestExpandHost(t *testing.T) {
	for _, tc := range []struct{ tmpl, addr, want string }{
		{"{host}:22", "10.0.0.1", "10.0.0.1:22"},
		{"{host}:22", "2001:db8::1", "[2001:db8::1]:22"},
		{"http://{host}:8080/health", "2001:db8::1", "http://[2001:db8::1]:8080/health"},
		{"http://[{host}]/health", "2001:db8::1", "http://[2001:db8::1]/health"},
		{`up{instance="{host}:9100"}`, "fd00::5", `up{instance="[fd00::5]:9100"}`},
		{"https://{host}/", "web1.example.com", "https://web1.example.com/"},
	} {
		if got := ExpandHost(tc.tmpl, tc.addr); got != tc.want {
			t.Errorf("ExpandHost(%q, %q) = %q, want %q", tc.tmpl, tc.addr, got, tc.want)
		}
	}
}
