package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docs:begin verify
// verifyPatchflow reports whether a webhook request carries a valid
// patchflow signature: secret is the whsec_... string, body the raw bytes
// received (before any JSON parsing).
func verifyPatchflow(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sent < time.Now().Unix()-300 || sent > time.Now().Unix()+300 {
		return false // missing, or more than 5 minutes off: a replay
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// docs:end verify

// The verification snippet in docs/notifications.md is this function, and
// it accepts a real delivery and refuses a tampered one.
func TestDocsVerificationSnippet(t *testing.T) {
	doc, err := os.ReadFile("../docs/notifications.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(src), "// docs:begin verify\n")
	snippet, _, _ := strings.Cut(rest, "\n// docs:end verify")
	if !strings.Contains(string(doc), snippet) {
		t.Errorf("docs/notifications.md does not hold the verification snippet of example_test.go verbatim")
	}

	rc := newReceiver(t, specKey(t, testSecret))
	s := newTestSender(Options{})
	if _, err := s.Deliver(context.Background(), Webhook{URL: rc.url, SecretFile: secretFile(t, testSecret)}, sampleEvents()[0]); err != nil {
		t.Fatal(err)
	}
	req := rc.allRequests()[0]
	if !verifyPatchflow(testSecret, req.header, req.body) {
		t.Error("the docs' snippet refuses a real delivery")
	}
	if verifyPatchflow(testSecret, req.header, append(req.body, ' ')) {
		t.Error("the docs' snippet accepts a tampered body")
	}
}
