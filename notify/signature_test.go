package notify

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks reference libraries' test vector: secret, id,
// timestamp and body give exactly this signature.
func TestSignMatchesReferenceVector(t *testing.T) {
	key, err := ParseSecret(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	got := Sign([][]byte{key}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func signedHeader(key []byte, id string, ts int64, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Sign([][]byte{key}, id, ts, body))
	return h
}

func TestVerify(t *testing.T) {
	key, _ := ParseSecret(testSecret)
	body := []byte(`{"specversion":"1.0"}`)
	now := time.Now().Unix()
	other := "whsec_" + strings.Repeat("QUJD", 8)

	cases := []struct {
		name   string
		secret string
		header func() http.Header
		body   []byte
		want   error
	}{
		{"valid", testSecret, func() http.Header { return signedHeader(key, "evt_1", now, body) }, body, nil},
		{"one of several", testSecret, func() http.Header {
			h := signedHeader(key, "evt_1", now, body)
			h.Set(HeaderSignature, "v1a,AAAA v1,bm9wZQ== "+h.Get(HeaderSignature))
			return h
		}, body, nil},
		{"raw secret", "a-raw-secret-of-enough-length-for-hmac", func() http.Header {
			return signedHeader([]byte("a-raw-secret-of-enough-length-for-hmac"), "evt_1", now, body)
		}, body, nil},
		{"tampered body", testSecret, func() http.Header { return signedHeader(key, "evt_1", now, body) }, []byte(`{"specversion":"2.0"}`), ErrNoMatch},
		{"wrong secret", other, func() http.Header { return signedHeader(key, "evt_1", now, body) }, body, ErrNoMatch},
		{"old timestamp", testSecret, func() http.Header { return signedHeader(key, "evt_1", now-301, body) }, body, ErrTimestamp},
		{"future timestamp", testSecret, func() http.Header { return signedHeader(key, "evt_1", now+301, body) }, body, ErrTimestamp},
		{"timestamp not a number", testSecret, func() http.Header {
			h := signedHeader(key, "evt_1", now, body)
			h.Set(HeaderTimestamp, "soon")
			return h
		}, body, ErrTimestamp},
		{"missing signature", testSecret, func() http.Header {
			h := signedHeader(key, "evt_1", now, body)
			h.Del(HeaderSignature)
			return h
		}, body, ErrMissingHeaders},
		{"id changed", testSecret, func() http.Header {
			h := signedHeader(key, "evt_1", now, body)
			h.Set(HeaderID, "evt_2")
			return h
		}, body, ErrNoMatch},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.header(), c.body, 0)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseSecret(t *testing.T) {
	for _, bad := range []string{"", "short", "whsec_", "whsec_@@@@", "whsec_" + strings.Repeat("A", 8), strings.Repeat("x", maxSecret+1)} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", excerpt(bad))
		} else if bad != "" && len(bad) > 6 && strings.Contains(err.Error(), bad) {
			t.Errorf("ParseSecret error %q quotes the secret", err)
		}
	}
	// Padding is optional after whsec_, as reference libraries accept.
	for _, s := range []string{"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTE=", "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTE"} {
		if k, err := ParseSecret(s); err != nil || string(k) != "secret-secret-secret-secret-1" {
			t.Errorf("ParseSecret(%q) = %q, %v", s, k, err)
		}
	}
}
