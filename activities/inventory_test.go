package activities

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// An inventory URL that serves something else (here: a private key, or a
// metadata endpoint's credentials) fails without its body in the error,
// the error that becomes a cycle's reason and lands in its history.
func TestLoadInventoryURLNeverEchoesBody(t *testing.T) {
	const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n"
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	creds := `{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIOSFODNN7EXAMPLE","SecretAccessKey":"` + secret + `","Token":"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/key":
			w.Write([]byte(key))
		case "/creds":
			w.Write([]byte(creds))
		}
	}))
	defer srv.Close()
	_, err := LoadInventory(srv.URL + "/key")
	if err == nil || !strings.Contains(err.Error(), "this is a private key, not an inventory") || strings.Contains(err.Error(), "b3BlbnNzaC1rZXkt") {
		t.Errorf("key served as inventory: %v", err)
	}
	_, err = LoadInventory(srv.URL + "/creds")
	if err == nil {
		t.Fatal("credentials accepted as an inventory")
	}
	for _, s := range []string{secret[:12], "IQoJb3JpZ2lu", "ASIAIOSFODNN"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error quotes the body (%s): %v", s, err)
		}
	}
}

// Link-local and metadata addresses are refused before a packet is sent,
// directly or through a redirect; a password in the URL is never shown.
func TestLoadInventoryURLRefusesMetadataAddresses(t *testing.T) {
	t.Setenv(InventoryAllowNetsEnv, "")
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"http://169.254.170.2/v2/credentials",
		"http://[fe80::a9fe:a9fe]/",
		"http://[fd00:ec2::254]/latest/meta-data/",
		"http://100.100.100.200/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://0.0.0.0:8080/",
	} {
		_, err := LoadInventory(u)
		if err == nil || !strings.Contains(err.Error(), "refusing to fetch an inventory from") || !strings.Contains(err.Error(), InventoryAllowNetsEnv) {
			t.Errorf("%s: %v, want a refusal naming %s", u, err, InventoryAllowNetsEnv)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/meta":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/file":
			http.Redirect(w, r, "file:///etc/shadow", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer srv.Close()
	for path, want := range map[string]string{
		"/meta": "refusing to fetch an inventory from 169.254.169.254, a link-local address",
		"/file": "redirected to a file: URL; only http and https are followed",
		"/loop": "more than 5 redirects",
	} {
		_, err := LoadInventory(srv.URL + path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
	withPassword := strings.Replace(srv.URL, "http://", "http://ops:hunter2@", 1) + "/missing"
	if _, err := LoadInventory(withPassword); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "ops:xxxxx@") {
		t.Errorf("password in the URL: %v", err)
	}
}

// An address refused by default passes once the operator allows its range;
// a malformed allow list is an error, not an open door.
func TestInventoryAllowNets(t *testing.T) {
	meta := netip.MustParseAddr("169.254.169.254")
	t.Setenv(InventoryAllowNetsEnv, "169.254.169.0/24, 10.0.0.1")
	allow, err := inventoryAllowNets()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkInventoryAddr(meta, allow); err != nil {
		t.Errorf("allowed range refused: %v", err)
	}
	if err := checkInventoryAddr(netip.MustParseAddr("169.254.170.2"), allow); err == nil {
		t.Error("address outside the allowed range accepted")
	}
	for _, ok := range []string{"127.0.0.1", "10.213.1.5", "::1", "192.0.2.7"} {
		if err := checkInventoryAddr(netip.MustParseAddr(ok), nil); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	t.Setenv(InventoryAllowNetsEnv, "169.254.0.0/16,all")
	if _, err := LoadInventory("http://169.254.169.254/"); err == nil || !strings.Contains(err.Error(), `"all" is neither an address nor a CIDR range`) {
		t.Errorf("bad allow list: %v", err)
	}
}

// A body past the size limit and a server that never answers are bounded.
func TestLoadInventoryURLLimits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			chunk := []byte(strings.Repeat("web1\n", 1<<16))
			for i := 0; i < 60; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/hang":
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	if _, err := LoadInventory(srv.URL + "/big"); err == nil || !strings.Contains(err.Error(), "larger than 16777216 bytes") {
		t.Errorf("big body: %v", err)
	}
	old := inventoryFetchTimeout
	inventoryFetchTimeout = 300 * time.Millisecond
	defer func() { inventoryFetchTimeout = old }()
	if _, err := LoadInventory(srv.URL + "/hang"); err == nil || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Errorf("hanging server: %v", err)
	}
}
