package testfleet

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestFleetUp(t *testing.T) {
	start := time.Now()
	f := Start(t, Config{Name: "tf", Subnet: 1, Hosts: 3})
	t.Logf("fleet up in %s", time.Since(start))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, h := range f.Hosts {
		out, err := f.Exec(ctx, h.Name, "dpkg-query", "-W", "-f=${Version}", "demo-app")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != "1.0.0" {
			t.Errorf("%s: demo-app %q, want 1.0.0", h.Name, got)
		}
	}
}
