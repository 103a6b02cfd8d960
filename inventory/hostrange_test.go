package inventory

import (
	"strings"
	"testing"
)

func TestExpandHostPattern(t *testing.T) {
	tests := []struct {
		pattern, want string
	}{
		{"web1", "web1"},
		{"web[1:3]", "web1,web2,web3"},
		{"web[01:03].example.com", "web01.example.com,web02.example.com,web03.example.com"},
		{"web[8:11]", "web8,web9,web10,web11"},
		{"web[08:11]", "web08,web09,web10,web11"},
		{"db-[a:c]", "db-a,db-b,db-c"},
		{"db-[y:B]", "db-y,db-z,db-A,db-B"},
		{"n[0:10:5]", "n0,n5,n10"},
		{"n[:2]", "n0,n1,n2"},
		{"r[1:2]-[a:b]", "r1-a,r1-b,r2-a,r2-b"},
	}
	for _, tt := range tests {
		got, err := expandHostPattern(tt.pattern, MaxHosts)
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%s = %s, want %s", tt.pattern, strings.Join(got, ","), tt.want)
		}
	}
}

func TestExpandHostPatternErrors(t *testing.T) {
	tests := []struct {
		pattern, want string
	}{
		{"web[1:]", `host pattern "web[1:]": range [1:] has no end`},
		{"web[1]", `host pattern "web[1]": range [1] must be [begin:end] or [begin:end:step]`},
		{"web[1:2:3:4]", `host pattern "web[1:2:3:4]": range [1:2:3:4] must be [begin:end] or [begin:end:step]`},
		{"web[01:100]", `host pattern "web[01:100]": range [01:100]: a zero-padded range needs begin and end of equal length`},
		{"web[1:9999999999]", `host pattern "web[1:9999999999]": range [1:9999999999]: want numbers of at most 9 digits or single letters`},
		{"web1]", `host pattern "web1]" has ']' without '['`},
		{"w[0:999][0:999]", `host pattern "w[0:999][0:999]" expands to more than 100000 hosts`},
	}
	for _, tt := range tests {
		_, err := expandHostPattern(tt.pattern, MaxHosts)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error = %v\nwant %s", tt.pattern, err, tt.want)
		}
	}
}

func TestSplitPatternPort(t *testing.T) {
	tests := []struct{ in, pattern, port string }{
		{"web1", "web1", ""},
		{"web1:2222", "web1", "2222"},
		{"web[01:20]", "web[01:20]", ""},
		{"web[01:20]:2222", "web[01:20]", "2222"},
		{"web1:", "web1:", ""},
		{"web1:ssh", "web1:ssh", ""},
	}
	for _, tt := range tests {
		p, port := splitPatternPort(tt.in)
		if p != tt.pattern || port != tt.port {
			t.Errorf("splitPatternPort(%q) = %q, %q; want %q, %q", tt.in, p, port, tt.pattern, tt.port)
		}
	}
}
