package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// queryPromQL runs an instant query and returns its value: the scalar, or
// the largest sample of a vector (the worst series for error-rate style
// queries). An empty vector is an error: a check must not pass on no data.
func queryPromQL(ctx context.Context, server, query string) (float64, error) {
	u := strings.TrimRight(server, "/") + "/api/v1/query?query=" + url.QueryEscape(query)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("promql %q on %s: %w", query, server, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("promql %q on %s: %w", query, server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, fmt.Errorf("promql %q on %s: read answer: %w", query, server, err)
	}
	var ans struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return 0, fmt.Errorf("promql %q on %s: status %d, not a Prometheus answer: %.200s", query, server, resp.StatusCode, body)
	}
	if ans.Status != "success" {
		return 0, fmt.Errorf("promql %q on %s: %s", query, server, ans.Error)
	}
	var values []string
	switch ans.Data.ResultType {
	case "scalar":
		var pair []any
		if err := json.Unmarshal(ans.Data.Result, &pair); err != nil || len(pair) != 2 {
			return 0, fmt.Errorf("promql %q on %s: malformed scalar", query, server)
		}
		s, _ := pair[1].(string)
		values = []string{s}
	case "vector":
		var vec []struct {
			Value []any `json:"value"`
		}
		if err := json.Unmarshal(ans.Data.Result, &vec); err != nil {
			return 0, fmt.Errorf("promql %q on %s: malformed vector: %w", query, server, err)
		}
		for _, v := range vec {
			if len(v.Value) == 2 {
				s, _ := v.Value[1].(string)
				values = append(values, s)
			}
		}
	default:
		return 0, fmt.Errorf("promql %q on %s: result type %s, want a scalar or an instant vector", query, server, ans.Data.ResultType)
	}
	if len(values) == 0 {
		return 0, fmt.Errorf("promql %q on %s: no data (empty result); a check cannot pass without data", query, server)
	}
	best := math.Inf(-1)
	for _, s := range values {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("promql %q on %s: value %q: %w", query, server, s, err)
		}
		best = math.Max(best, f)
	}
	return best, nil
}

// promqlCheck evaluates a promql check: the threshold, then the growth
// since before (when BeforeAfter is set).
func promqlCheck(ctx context.Context, c domain.Check, query string, before map[string]float64) error {
	v, err := queryPromQL(ctx, c.Prometheus, query)
	if err != nil {
		return err
	}
	if t := c.Threshold; t != nil && !compare(v, t.Op, t.Value) {
		return fmt.Errorf("value %g, want %s %g", v, t.Op, t.Value)
	}
	if ba := c.BeforeAfter; ba != nil {
		b, ok := before[c.Name]
		if !ok {
			return fmt.Errorf("value %g, but no value was read before the wave to compare with", v)
		}
		grew := v - b
		if ba.MaxIncrease > 0 && grew > ba.MaxIncrease {
			return fmt.Errorf("value %g grew by %g since before the wave (%g), max %g", v, grew, b, ba.MaxIncrease)
		}
		if ba.MaxIncreasePercent > 0 && b != 0 && grew/math.Abs(b)*100 > ba.MaxIncreasePercent {
			return fmt.Errorf("value %g grew by %.1f%% since before the wave (%g), max %g%%", v, grew/math.Abs(b)*100, b, ba.MaxIncreasePercent)
		}
		if ba.MaxIncreasePercent > 0 && b == 0 && grew > 0 {
			return fmt.Errorf("value %g grew from 0 before the wave, max %g%%", v, ba.MaxIncreasePercent)
		}
	}
	return nil
}

func compare(v float64, op string, x float64) bool {
	switch op {
	case "<":
		return v < x
	case "<=":
		return v <= x
	case ">":
		return v > x
	case ">=":
		return v >= x
	case "==":
		return v == x
	case "!=":
		return v != x
	}
	return false
}

// ProbeChecks reads the value of every promql check with BeforeAfter
// before a wave starts; the wave hands them to RunChecks after its bake.
func (a *Activities) ProbeChecks(ctx context.Context, in workflows.ChecksInput) (workflows.ProbeResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	res := workflows.ProbeResult{Values: map[string]float64{}}
	for _, c := range in.Checks {
		if c.Type != "promql" || c.BeforeAfter == nil {
			continue
		}
		v, err := queryPromQL(ctx, c.Prometheus, c.Query)
		if err != nil {
			return res, fmt.Errorf("check %s before the wave: %w", c.Name, err)
		}
		res.Values[c.Name] = v
	}
	return res, nil
}
