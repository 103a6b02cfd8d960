package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// nestedINI is the inventory that exhausted 2 GB: a chain of groups nested
// depth deep (g1 holds g2 holds g3 ...) with hosts spread over every level.
func nestedINI(depth, hosts int) []byte {
	var b strings.Builder
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "[g%d:children]\ng%d\n", i, i+1)
	}
	per := hosts / depth
	for g := 1; g <= depth; g++ {
		fmt.Fprintf(&b, "[g%d]\n", g)
		for j := 0; j < per; j++ {
			fmt.Fprintf(&b, "h%d\n", (g-1)*per+j)
		}
	}
	return []byte(b.String())
}

// wideINI is a large legitimate fleet: hosts in groups by site, role and
// rack, nested a few levels, with group and host vars.
func wideINI(hosts int) []byte {
	var b strings.Builder
	b.WriteString("[all:vars]\ndatacenter=fra1\nowner=sre\n")
	for s := 0; s < 10; s++ {
		fmt.Fprintf(&b, "[site%d:children]\n", s)
		for r := 0; r < 10; r++ {
			fmt.Fprintf(&b, "site%d_rack%d\n", s, r)
		}
		fmt.Fprintf(&b, "[site%d:vars]\nsite=s%d\n", s, s)
	}
	fmt.Fprintf(&b, "[prod:children]\n")
	for s := 0; s < 10; s++ {
		fmt.Fprintf(&b, "site%d\n", s)
	}
	for i := 0; i < hosts; i++ {
		s, r := i%10, (i/10)%10
		fmt.Fprintf(&b, "[site%d_rack%d]\nhost%06d.example.com ansible_host=10.%d.%d.%d role=web\n", s, r, i, i>>16&255, i>>8&255, i&255)
	}
	return []byte(b.String())
}

func benchParse(b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parse("bench.ini", "/inv", data, FormatAnsibleINI); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveNested is the hostile shape below the nesting limit: 50
// levels, 30,000 hosts over every level.
func BenchmarkResolveNested(b *testing.B) { benchParse(b, nestedINI(50, 30000)) }

// BenchmarkResolveWide is a 100,000-host fleet in 100 racks of 10 sites.
func BenchmarkResolveWide(b *testing.B) { benchParse(b, wideINI(100000)) }

// BenchmarkResolveNestedHostile is the file from the issue (3,000 nested
// groups, 30,000 hosts, 266 KB): it must fail fast with the depth limit.
func BenchmarkResolveNestedHostile(b *testing.B) {
	data := nestedINI(3000, 30000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		parse("bench.ini", "/inv", data, FormatAnsibleINI) //nolint:errcheck // either outcome is measured
	}
}
