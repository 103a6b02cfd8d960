package notify

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Formats of a webhook body.
const (
	FormatJSON  = "json"  // CloudEvents 1.0, structured mode
	FormatSlack = "slack" // Slack incoming-webhook message (Mattermost accepts it)
)

// Attempt timeouts: DefaultTimeout when a webhook sets none, at most
// MaxTimeout.
const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 2 * time.Minute
)

// maxURLFile bounds a url_file or secret_file: both hold one short line.
const maxURLFile = 4096

// Webhook is one receiver, as the policy declares it
// (notifications.webhooks[i]). It names where secrets are, never a secret:
// the worker reads SecretFile or SecretEnv (and URLFile or URLEnv) when it
// sends, so no secret enters a workflow's history.
type Webhook struct {
	// URL is the http:// or https:// endpoint. Exactly one of URL, URLFile
	// and URLEnv is set; the last two are for URLs that are themselves
	// credentials (Slack and Mattermost incoming webhooks).
	URL     string `json:"url,omitempty"`
	URLFile string `json:"url_file,omitempty"`
	URLEnv  string `json:"url_env,omitempty"`
	// Format is FormatJSON (default) or FormatSlack.
	Format string `json:"format,omitempty"`
	// SecretFile or SecretEnv, at most one, holds the signing secret:
	// whsec_<base64> or raw bytes; several separated by white space sign
	// with each (key rotation, current first). Neither: unsigned.
	SecretFile string `json:"secret_file,omitempty"`
	SecretEnv  string `json:"secret_env,omitempty"`
	// Events filters what is sent (see ParseFilter); empty sends everything.
	Events []string `json:"events,omitempty"`
	// Timeout bounds one attempt; 0 means DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate returns every problem with the webhook's configuration, each
// naming its key ("url", "events[1]"); nil when it is usable. It reads no
// file and no environment: those are checked when the worker sends.
func (w Webhook) Validate() FieldErrors {
	var errs FieldErrors
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch n := count(w.URL != "", w.URLFile != "", w.URLEnv != ""); {
	case n == 0:
		add("url", "url is required (or url_file / url_env when the URL is itself a secret)")
	case n > 1:
		add("url", "set only one of url, url_file and url_env")
	case w.URL != "":
		if _, err := parseURL(w.URL); err != nil {
			add("url", "%s", err)
		}
	case w.URLEnv != "" && !envName.MatchString(w.URLEnv):
		add("url_env", "url_env must be an environment variable name (letters, digits, _), got %s", excerpt(w.URLEnv))
	}
	switch w.Format {
	case "", FormatJSON, FormatSlack:
	default:
		add("format", "format must be %s or %s, got %s", FormatJSON, FormatSlack, excerpt(w.Format))
	}
	if w.SecretFile != "" && w.SecretEnv != "" {
		add("secret_file", "set only one of secret_file and secret_env")
	}
	if w.SecretEnv != "" && !envName.MatchString(w.SecretEnv) {
		add("secret_env", "secret_env must be an environment variable name (letters, digits, _), got %s", excerpt(w.SecretEnv))
	}
	for _, f := range []struct{ field, path string }{{"url_file", w.URLFile}, {"secret_file", w.SecretFile}} {
		if strings.ContainsRune(f.path, 0) {
			add(f.field, "%s contains a NUL byte", f.field)
		}
	}
	if _, err := ParseFilter(w.Events); err != nil {
		errs = append(errs, err.(FieldErrors)...)
	}
	if w.Timeout < 0 || w.Timeout > MaxTimeout {
		add("timeout", "timeout must be between 0 (default %s) and %s, got %s", DefaultTimeout, MaxTimeout, w.Timeout)
	}
	return errs
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// Wants reports whether the webhook's events filter lets eventType
// through; a filter that does not parse lets nothing through.
func (w Webhook) Wants(eventType string) bool {
	f, err := ParseFilter(w.Events)
	return err == nil && f.Match(eventType)
}

func (w Webhook) format() string {
	if w.Format == "" {
		return FormatJSON
	}
	return w.Format
}

func (w Webhook) timeout() time.Duration {
	if w.Timeout <= 0 {
		return DefaultTimeout
	}
	return min(w.Timeout, MaxTimeout)
}

// Name is how messages show the webhook before its URL is read: the
// policy's URL without query or user info, or where a secret URL comes from.
func (w Webhook) Name() string {
	switch {
	case w.URLFile != "":
		return "webhook (url_file " + w.URLFile + ")"
	case w.URLEnv != "":
		return "webhook (url_env " + w.URLEnv + ")"
	}
	if u, err := url.Parse(w.URL); err == nil && u.Host != "" {
		return displayURL(u)
	}
	return "webhook " + excerpt(redactRaw(w.URL))
}

// target is a resolved endpoint and the name errors and logs may show.
type target struct {
	url  *url.URL
	name string
}

// resolve reads the URL (from the policy, a file or the environment) and
// names it for messages: scheme, host and a short path, never the query or
// user info; a URL from a file or the environment is itself a secret, so
// only its scheme and host are shown.
func (w Webhook) resolve(getenv func(string) string) (target, error) {
	raw, from := w.URL, ""
	switch {
	case w.URLFile != "":
		data, err := readSmallFile(w.URLFile, maxURLFile)
		if err != nil {
			return target{}, fmt.Errorf("read webhook url_file: %w", err)
		}
		raw, from = strings.TrimSpace(string(data)), "url_file "+w.URLFile
	case w.URLEnv != "":
		v := getenv(w.URLEnv)
		if v == "" {
			return target{}, fmt.Errorf("webhook url_env %s is not set (or empty) in the worker's environment; set it where patchflow worker runs", w.URLEnv)
		}
		raw, from = strings.TrimSpace(v), "url_env "+w.URLEnv
	}
	u, err := parseURL(raw)
	if err != nil {
		if from != "" {
			// The value is a secret: say where it came from, not what it is.
			return target{}, fmt.Errorf("webhook %s does not hold an http:// or https:// URL with a host", from)
		}
		return target{}, err
	}
	if from != "" {
		return target{url: u, name: u.Scheme + "://" + u.Host + "/… (" + from + ")"}, nil
	}
	return target{url: u, name: displayURL(u)}, nil
}

// parseURL accepts an absolute http(s) URL with a host and no user info.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url must be an http:// or https:// URL with a host, got %s", excerpt(redactRaw(raw)))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("url port must be 1-65535, got %s", excerpt(p))
		}
	}
	if u.User != nil {
		return nil, fmt.Errorf("url %s carries credentials (user:password@); use a signing secret, or url_file / url_env for a URL that is itself a secret", displayURL(u))
	}
	return u, nil
}

// displayURL is scheme://host/path without user info, query or fragment,
// the path cut to a short excerpt.
func displayURL(u *url.URL) string {
	p := u.EscapedPath()
	if r := []rune(p); len(r) > 40 {
		p = string(r[:40]) + "…"
	}
	return u.Scheme + "://" + u.Host + p
}

// redactRaw drops what follows '?' or '#' and anything before '@' in a URL
// that did not parse, so an error does not repeat a token.
func redactRaw(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			raw = raw[:j+3] + raw[i+1:]
		}
	}
	return raw
}

// readSmallFile reads a file of at most limit bytes; errors name the file,
// never its content.
func readSmallFile(path string, limit int64) ([]byte, error) {
	// Stat first: opening a FIFO would block until something writes to it.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w; create it on every worker host (readable only by the worker's user) or change the policy", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than the %d bytes a secret or URL file may have", path, limit)
	}
	return data, nil
}
