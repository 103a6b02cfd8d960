package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks (standardwebhooks.com, version 1.0.0) headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Secret sizes: the Standard Webhooks specification asks for at least 24
// random bytes; more than maxSecret is a file mix-up, not a key.
const (
	minSecret = 24
	maxSecret = 1024
)

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock, either way, before Verify refuses it (replay defence).
const DefaultTolerance = 5 * time.Minute

const secretPrefix = "whsec_"

// ParseSecret turns one secret as written in a secret file or variable
// into the HMAC key: whsec_<base64> is decoded, anything else is used as
// its own bytes. Errors never quote the secret.
func ParseSecret(s string) ([]byte, error) {
	var key []byte
	if rest, ok := strings.CutPrefix(s, secretPrefix); ok {
		var err error
		key, err = base64.StdEncoding.DecodeString(rest)
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(rest)
		}
		if err != nil {
			return nil, errors.New("the part after whsec_ is not valid base64")
		}
	} else {
		key = []byte(s)
	}
	switch {
	case len(key) < minSecret:
		return nil, fmt.Errorf("the secret is shorter than %d bytes; make one with: printf 'whsec_%%s\\n' \"$(head -c 32 /dev/urandom | base64)\"", minSecret)
	case len(key) > maxSecret:
		return nil, fmt.Errorf("the secret is longer than %d bytes; is this the right file?", maxSecret)
	}
	return key, nil
}

// secrets reads the webhook's signing keys when it sends: none when the
// webhook has no secret. Several white-space separated secrets all sign
// (rotation). Errors name the file or variable, never the content.
func (w Webhook) secrets(getenv func(string) string) ([][]byte, error) {
	var raw, from string
	switch {
	case w.SecretFile != "":
		data, err := readSmallFile(w.SecretFile, maxURLFile)
		if err != nil {
			return nil, fmt.Errorf("read webhook secret_file: %w", err)
		}
		raw, from = string(data), "secret_file "+w.SecretFile
	case w.SecretEnv != "":
		raw, from = getenv(w.SecretEnv), "secret_env "+w.SecretEnv
		if raw == "" {
			return nil, fmt.Errorf("webhook secret_env %s is not set (or empty) in the worker's environment; set it where patchflow worker runs", w.SecretEnv)
		}
	default:
		return nil, nil
	}
	fields := strings.Fields(raw)
	if len(fields) == 0 {
		return nil, fmt.Errorf("webhook %s is empty; write a whsec_<base64> secret into it", from)
	}
	keys := make([][]byte, 0, len(fields))
	for i, f := range fields {
		k, err := ParseSecret(f)
		if err != nil {
			return nil, fmt.Errorf("webhook %s, secret %d: %w", from, i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// Sign returns the webhook-signature header value for a message: one
// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" per key, space
// separated.
func Sign(keys [][]byte, id string, timestamp int64, body []byte) string {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac(k, id, strconv.FormatInt(timestamp, 10), body))
	}
	return strings.Join(sigs, " ")
}

// mac signs the header values as sent: a receiver must not re-format the
// timestamp it received.
func mac(key []byte, id, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte("."))
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Verification failures, for errors.Is.
var (
	ErrMissingHeaders = errors.New("webhook-id, webhook-timestamp or webhook-signature header missing")
	ErrTimestamp      = errors.New("webhook-timestamp outside the tolerance")
	ErrNoMatch        = errors.New("no webhook-signature matches")
)

// Verify checks a received webhook as a Standard Webhooks receiver does:
// all three headers present, the timestamp within tolerance of now (0 means
// DefaultTolerance), and one v1 signature in webhook-signature matching
// HMAC-SHA256 over id.timestamp.body under secret (whsec_<base64> or raw),
// compared in constant time. body must be the raw bytes received.
func Verify(secret string, header http.Header, body []byte, tolerance time.Duration) error {
	key, err := ParseSecret(secret)
	if err != nil {
		return fmt.Errorf("verify webhook: %w", err)
	}
	return verifyAt(key, header, body, tolerance, time.Now())
}

func verifyAt(key []byte, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	id, ts, sig := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || ts == "" || sig == "" {
		return ErrMissingHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrTimestamp, excerpt(ts))
	}
	// Compare in seconds: time.Unix of a huge value would overflow Sub.
	if d := now.Unix() - sec; d > int64(tolerance/time.Second) || -d > int64(tolerance/time.Second) {
		return fmt.Errorf("%w: %d s from this receiver's clock, tolerance %s", ErrTimestamp, d, tolerance)
	}
	want := mac(key, id, ts, body)
	for s := range strings.FieldsSeq(sig) {
		version, value, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue // other schemes (v1a) or malformed: try the next
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
}
