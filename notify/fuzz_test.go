package notify

import (
	"errors"
	"net/http"
	"path"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for everything that reads input: secrets (files and
// variables), events filters (policies), signature headers (the network),
// Retry-After (the network) and the Slack cut. Bounded runs:
//
//	go test -run='^$' -fuzz=^FuzzParseSecret$ -fuzztime=30s ./notify
//
// and likewise FuzzParseFilter, FuzzVerify, FuzzParseRetryAfter, FuzzFit.

func FuzzParseSecret(f *testing.F) {
	f.Add(testSecret)
	f.Add("whsec_")
	f.Add("whsec_====")
	f.Add("raw-secret-with-enough-bytes-123")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseSecret(s)
		if err != nil {
			if len(s) >= 12 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q quotes the secret", err)
			}
			return
		}
		if len(key) < minSecret || len(key) > maxSecret {
			t.Fatalf("accepted a %d-byte key", len(key))
		}
		if !strings.HasPrefix(s, secretPrefix) && string(key) != s {
			t.Fatal("a raw secret must be its own bytes")
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	f.Add("cycle.*", "host_failed")
	f.Add("*", "")
	f.Add("[", "\\")
	f.Add("wave.[!s]*", "sla.breached")
	f.Fuzz(func(t *testing.T, a, b string) {
		flt, err := ParseFilter([]string{a, b})
		if err != nil {
			var fe FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("error %v is not FieldErrors", err)
			}
			for _, e := range fe {
				if !strings.HasPrefix(e.Field, "events[") || len(e.Message) > 600 {
					t.Fatalf("bad field error %q", e)
				}
			}
			return
		}
		// Every accepted entry matches some event, and the filter agrees
		// with path.Match on the canonical names.
		matched := 0
		for _, e := range Events {
			if flt.Match(e) {
				matched++
			}
		}
		if matched == 0 {
			t.Fatalf("accepted %q, %q matching nothing", a, b)
		}
		for _, p := range []string{a, b} {
			if name, ok := legacyNames[p]; ok {
				p = name
			}
			for _, e := range Events {
				if ok, _ := path.Match(p, e); ok && !flt.Match(e) {
					t.Fatalf("%q matches %s but the filter does not", p, e)
				}
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	key, _ := ParseSecret(testSecret)
	now := time.Now().Unix()
	h := signedHeader(key, "evt_1", now, []byte("{}"))
	f.Add("evt_1", h.Get(HeaderTimestamp), h.Get(HeaderSignature), []byte("{}"))
	f.Add("", "", "", []byte(nil))
	f.Add("x", "-9223372036854775808", "v1,", []byte("a"))
	f.Add("x", "99999999999999999999", "v1,==== v1a,x", []byte("a"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		hdr := http.Header{}
		hdr.Set(HeaderID, id)
		hdr.Set(HeaderTimestamp, ts)
		hdr.Set(HeaderSignature, sig)
		err := verifyAt(key, hdr, body, 0, time.Unix(now, 0))
		if err == nil {
			// Only what the receiver's own reading of the specification
			// accepts may pass.
			if !specVerify(key, hdr, body, time.Unix(now, 0)) {
				t.Fatalf("accepted id %q timestamp %q signature %q", id, ts, sig)
			}
			return
		}
		if !errors.Is(err, ErrMissingHeaders) && !errors.Is(err, ErrTimestamp) && !errors.Is(err, ErrNoMatch) {
			t.Fatalf("unclassified error %v", err)
		}
		// At most maxExcerpt characters of input, each escaped to at most
		// \xNN, \uNNNN or \UNNNNNNNN, besides the message itself.
		if len(err.Error()) > 100+10*maxExcerpt {
			t.Fatalf("error of %d bytes quotes too much input: %q", len(err.Error()), err)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("-1")
	f.Add("4294967295")
	f.Add("Fri, 31 Dec 9999 23:59:59 GMT")
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if ok && d < 0 {
			t.Fatalf("Retry-After %q gave negative %s", v, d)
		}
		if !ok && d != 0 {
			t.Fatalf("Retry-After %q refused but gave %s", v, d)
		}
	})
}

func FuzzFit(f *testing.F) {
	f.Add("a&<b>&&c💥d", 5)
	f.Add("\xff\xfe<", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 1 || n > 5000 {
			return
		}
		got := fit(s, n)
		if units(got) > n || !utf8.ValidString(got) || strings.ContainsAny(got, "<>") {
			t.Fatalf("fit(%q, %d) = %q", s, n, got)
		}
		if i := strings.LastIndexByte(got, '&'); i >= 0 && !strings.Contains(got[i:], ";") {
			t.Fatalf("fit(%q, %d) = %q splits an entity", s, n, got)
		}
	})
}
