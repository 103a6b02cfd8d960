package notify

import (
	"os"
	"strings"
	"testing"
)

// docs/notifications.md documents every event (and its older name), every
// policy key, header, metric and error type the package has.
func TestDocsCoverEverything(t *testing.T) {
	data, err := os.ReadFile("../docs/notifications.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	want := []string{
		MetricNotifications, MetricNotificationDuration, MetricNotificationAttempts,
		HeaderID, HeaderTimestamp, HeaderSignature,
		ErrTypeInvalid, ErrTypeRejected, ErrTypeGaveUp, ErrTypeInterrupted,
		ContentTypeCloudEvents, SchemaBaseURL,
		DefaultTimeout.String(), "2m", // MaxTimeout
	}
	for _, e := range Events {
		want = append(want, "| `"+e+"` |")
	}
	for old := range legacyNames {
		want = append(want, "`"+old+"`")
	}
	for _, key := range []string{"url", "url_file", "url_env", "format", "secret_file", "secret_env", "events", "timeout"} {
		want = append(want, "`notifications.webhooks[]."+key+"`")
	}
	for _, s := range want {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/notifications.md does not mention %s", s)
		}
	}
}
