package policies

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// checkObject names check i in errors.
func (p *Policy) checkObject(i int) string {
	if c := p.Checks[i]; c.Name != "" {
		return "check " + quote(c.Name)
	}
	return fmt.Sprintf("checks[%d]", i)
}

var checkName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Minimums below which a timeout cannot be meant: no check, host step or
// operator decision completes in a nanosecond.
const (
	MinStepTimeout     = Duration(time.Second)
	MinApprovalTimeout = Duration(time.Minute)
)

// validHTTPURL reports why s is not an http(s) URL with a host and, when
// given, a port from 1 to 65535.
func validHTTPURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "" || err != nil:
		return fmt.Errorf("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme must be http or https")
	case u.Hostname() == "":
		return fmt.Errorf("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port must be 1-65535, got %s", p)
		}
	}
	return nil
}

func (v *validator) checks() {
	names := map[string]int{}
	for i := range v.p.Checks {
		c := &v.p.Checks[i]
		path, obj := fmt.Sprintf("checks[%d]", i), v.p.checkObject(i)
		switch {
		case c.Name == "":
			v.errf(path, obj, "name is required")
		case !checkName.MatchString(c.Name) || len(c.Name) > 63:
			v.errf(path+".name", obj, "name must be letters, digits, - _ . (at most 63), got %s", quote(c.Name))
		}
		if j, dup := names[c.Name]; dup && c.Name != "" {
			v.errf(path+".name", obj, "name is used by checks[%d] too; check names must be unique, got %s", j, quote(c.Name))
		}
		names[c.Name] = i
		if c.Timeout < MinStepTimeout {
			v.errf(path+".timeout", obj, "timeout must be at least %s, got %s", MinStepTimeout, c.Timeout)
		}
		if !slices.Contains(domain.CheckScopes, c.Scope) {
			v.errf(path+".scope", obj, "scope must be %s, got %s", domain.Choices(domain.CheckScopes), quote(string(c.Scope)))
		}
		// Fields that belong to another type are mistakes, not no-ops.
		owner := map[string]domain.CheckType{"command": domain.CheckCommand, "url": domain.CheckHTTP, "expect_status": domain.CheckHTTP,
			"address": domain.CheckTCP, "prometheus": domain.CheckPromQL, "query": domain.CheckPromQL, "threshold": domain.CheckPromQL, "before_after": domain.CheckPromQL}
		for _, key := range []string{"command", "url", "expect_status", "address", "prometheus", "query", "threshold", "before_after"} {
			if v.p.pos.has(path+"."+key) && owner[key] != c.Type && slices.Contains(domain.CheckTypes, c.Type) {
				v.errf(path+"."+key, obj, "%s applies to type %s only, got it on type %s", key, owner[key], c.Type)
			}
		}
		switch c.Type {
		case domain.CheckCommand:
			v.argv(path+".command", obj, "command", c.Command)
			if c.Scope == domain.ScopeWave {
				v.errf(path+".scope", obj, "a command check runs on each host, so scope must be host, got wave")
			}
		case domain.CheckHTTP:
			if err := validHTTPURL(strings.ReplaceAll(c.URL, "{host}", "host.invalid")); err != nil {
				v.errf(path+".url", obj, "url must be an http:// or https:// URL ({host} is replaced by the host address): %v, got %s", err, quote(c.URL))
			}
			if c.ExpectStatus < 100 || c.ExpectStatus > 599 {
				v.errf(path+".expect_status", obj, "expect_status must be an HTTP status 100-599, got %d", c.ExpectStatus)
			}
		case domain.CheckTCP:
			host, port, err := net.SplitHostPort(c.Address)
			if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
				v.errf(path+".address", obj, "address must be host:port with port 1-65535 ({host} is replaced by the host address), got %s", quote(c.Address))
			}
		case domain.CheckPromQL:
			v.promql(path, obj, c)
		default:
			v.errf(path+".type", obj, "type must be %s, got %s", domain.Choices(domain.CheckTypes), quote(string(c.Type)))
		}
	}
}

func (v *validator) promql(path, obj string, c *Check) {
	if err := validHTTPURL(c.Prometheus); err != nil {
		v.errf(path+".prometheus", obj, "prometheus must be the server's http(s) base URL, e.g. http://prometheus:9090: %v, got %s", err, quote(c.Prometheus))
	}
	if strings.TrimSpace(c.Query) == "" {
		v.errf(path+".query", obj, "query is required for a promql check")
	} else if err := checkPromQL(c.Query); err != nil {
		v.errf(path+".query", obj, "query is not valid PromQL: %v, got %s", err, quote(c.Query))
	}
	if c.Scope != domain.ScopeWave {
		v.errf(path+".scope", obj, "a promql check measures the fleet, so scope must be wave, got %s", quote(string(c.Scope)))
	}
	if c.Threshold == nil && c.BeforeAfter == nil {
		v.errf(path, obj, "a promql check needs threshold or before_after (or both), got neither")
	}
	if t := c.Threshold; t != nil && !slices.Contains(domain.ThresholdOps, t.Op) {
		v.errf(path+".threshold.op", obj, "threshold op must be one of < <= > >= == !=, got %s", quote(t.Op))
	}
	if ba := c.BeforeAfter; ba != nil {
		if ba.MaxIncrease < 0 || ba.MaxIncreasePercent < 0 {
			v.errf(path+".before_after", obj, "before_after limits must be >= 0, got max_increase %g and max_increase_percent %g", ba.MaxIncrease, ba.MaxIncreasePercent)
		}
		if !v.p.pos.has(path+".before_after.max_increase") && !v.p.pos.has(path+".before_after.max_increase_percent") {
			v.errf(path+".before_after", obj, "before_after needs max_increase or max_increase_percent, got neither")
		}
	}
}

func (v *validator) rollback() {
	r := v.p.Rollback
	if r.DecisionTimeout < MinStepTimeout {
		v.errf("rollback.decision_timeout", "rollback", "decision_timeout must be at least %s, got %s", MinStepTimeout, r.DecisionTimeout)
	}
	if !slices.Contains(domain.DecisionTimeoutActions, r.OnDecisionTimeout) {
		v.errf("rollback.on_decision_timeout", "rollback", "on_decision_timeout must be %s, got %s", domain.Choices(domain.DecisionTimeoutActions), quote(string(r.OnDecisionTimeout)))
	}
}

func (v *validator) sla() {
	s := v.p.SLA
	levels := []struct {
		key string
		d   Duration
	}{{"critical", s.Critical}, {"high", s.High}, {"medium", s.Medium}, {"low", s.Low}}
	// A more severe level must not allow longer to remediate.
	for j := range levels {
		for i := j + 1; i < len(levels); i++ {
			if levels[i].d == 0 {
				continue
			}
			if levels[j].d > levels[i].d {
				v.errf("sla."+levels[j].key, "sla", "%s must not be longer than %s (%s), got %s", levels[j].key, levels[i].key, levels[i].d, levels[j].d)
			}
			break
		}
	}
}

func (v *validator) notifications() {
	for i, h := range v.p.Notifications.Webhooks {
		path := fmt.Sprintf("notifications.webhooks[%d]", i)
		// One rule for what a usable webhook is: notify's, which the
		// worker applies again when it sends.
		for _, e := range h.webhook().Validate() {
			key := path + "." + e.Field
			if !v.p.pos.has(key) {
				key = path
			}
			v.errf(key, path, "%s", e.Message)
		}
	}
}
