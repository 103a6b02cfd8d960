package advisories

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// DefaultFetchTimeout bounds one source's download.
const DefaultFetchTimeout = 10 * time.Minute

// blockedPrefixes are link-local and cloud metadata addresses a source URL
// may not reach unless the source allows it: a mirrored feed has no reason
// to live there, and an instance's metadata service holds credentials.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),     // IPv4 link-local, AWS/GCP/Azure/OpenStack metadata
	netip.MustParsePrefix("fe80::/10"),          // IPv6 link-local
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IMDS over IPv6
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud metadata
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("::/128"),
}

// ErrBlockedAddress is wrapped when a URL resolves to a refused address.
var ErrBlockedAddress = errors.New("address refused: link-local or cloud metadata")

// checkAddress refuses blocked addresses; it runs on every connection,
// after name resolution and before connect, so a DNS answer or a redirect
// cannot lead the fetch there.
func checkAddress(address string, allowLinkLocal bool) error {
	if allowLinkLocal {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s is not an IP address", ErrBlockedAddress, host)
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return fmt.Errorf("%w (%s); set allow_link_local: true on the source to permit it", ErrBlockedAddress, ip)
		}
	}
	return nil
}

// fetchOptions tune one download.
type fetchOptions struct {
	maxBytes       int64
	timeout        time.Duration
	allowLinkLocal bool
	progress       func(done, total int64)
}

// httpClient builds a client that connects directly (no proxy: the
// address check must see the real peer), refuses blocked addresses on
// every connection and follows at most 5 redirects, to http(s) only.
func httpClient(opt fetchOptions) *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		return checkAddress(address, opt.allowLinkLocal)
	}}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		MaxIdleConns:          2,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to a %s URL refused", req.URL.Scheme)
		}
		return nil
	}}
}

// fetchURL downloads rawURL into w and returns the server's Last-Modified
// time (zero when absent). Errors name the URL without credentials or
// query and never quote the response body.
func fetchURL(ctx context.Context, rawURL string, w io.Writer, opt fetchOptions) (time.Time, int64, error) {
	shown := redactURL(rawURL)
	timeout := opt.timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("GET %s: invalid request", shown)
	}
	req.Header.Set("User-Agent", "patchflow-advisories")
	resp, err := httpClient(opt).Do(req)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("GET %s: %w", shown, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return time.Time{}, 0, fmt.Errorf("GET %s: HTTP %s", shown, resp.Status)
	}
	max := opt.maxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	if resp.ContentLength > max {
		return time.Time{}, 0, fmt.Errorf("GET %s: %w (the server announces %d bytes, the limit is %d); raise max_bytes for this source if the file is genuine", shown, ErrTooLarge, resp.ContentLength, max)
	}
	src := io.Reader(newLimitReader(resp.Body, max, "GET "+shown))
	if opt.progress != nil {
		src = &progressReader{r: src, total: resp.ContentLength, fn: opt.progress}
	}
	n, err := io.Copy(w, src)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return time.Time{}, n, err
		}
		if ctx.Err() != nil {
			return time.Time{}, n, fmt.Errorf("GET %s: timed out after %s (%d bytes read); raise timeout for this source", shown, timeout, n)
		}
		return time.Time{}, n, fmt.Errorf("GET %s: reading the body after %d bytes: %v", shown, n, unwrapURLError(err))
	}
	lm, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	return lm.UTC(), n, nil
}

// unwrapURLError drops *url.Error's "Get \"URL\":" prefix, which would
// repeat the URL with its credentials.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL shows scheme, host and path: no user info, no query (either
// may carry a token).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	s := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		s += "?..."
	}
	return Sanitize(s)
}

type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if n > 0 {
		p.fn(p.done, p.total)
	}
	return n, err
}
