package activities

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// fakeProm answers instant queries like Prometheus: each query string maps
// to the JSON "data" it returns.
func fakeProm(t *testing.T, answers map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		data, ok := answers[r.URL.Query().Get("query")]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error: unknown query"}`)
			return
		}
		fmt.Fprintf(w, `{"status":"success","data":%s}`, data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPromQLChecks(t *testing.T) {
	srv := fakeProm(t, map[string]string{
		"errors":  `{"resultType":"vector","result":[{"metric":{"i":"a"},"value":[1,"2"]},{"metric":{"i":"b"},"value":[1,"5"]}]}`,
		"up":      `{"resultType":"scalar","result":[1,"1"]}`,
		"nothing": `{"resultType":"vector","result":[]}`,
	})
	check := func(q string, th *domain.Threshold, ba *domain.BeforeAfter) domain.Check {
		return domain.Check{Name: "c", Type: "promql", Scope: domain.ScopeWave, Prometheus: srv.URL, Query: q, Threshold: th, BeforeAfter: ba}
	}
	ctx := context.Background()
	for _, c := range []struct {
		check   domain.Check
		before  map[string]float64
		wantErr string
	}{
		{check("errors", &domain.Threshold{Op: "<", Value: 10}, nil), nil, ""},
		{check("errors", &domain.Threshold{Op: "<", Value: 5}, nil), nil, "value 5, want < 5"}, // largest series counts
		{check("up", &domain.Threshold{Op: "==", Value: 1}, nil), nil, ""},
		{check("nothing", &domain.Threshold{Op: "<", Value: 1}, nil), nil, "no data"},
		{check("bogus(", &domain.Threshold{Op: "<", Value: 1}, nil), nil, "parse error"},
		{check("errors", nil, &domain.BeforeAfter{MaxIncrease: 1}), map[string]float64{"c": 4.5}, ""},
		{check("errors", nil, &domain.BeforeAfter{MaxIncrease: 1}), map[string]float64{"c": 3}, "grew by 2"},
		{check("errors", nil, &domain.BeforeAfter{MaxIncreasePercent: 50}), map[string]float64{"c": 2}, "grew by 150.0%"},
		{check("errors", nil, &domain.BeforeAfter{MaxIncrease: 1}), nil, "no value was read before"},
	} {
		err := promqlCheck(ctx, c.check, c.check.Query, c.before)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s %+v %+v: %v, want pass", c.check.Query, c.check.Threshold, c.check.BeforeAfter, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s %+v %+v: %v, want error with %q", c.check.Query, c.check.Threshold, c.check.BeforeAfter, err, c.wantErr)
		}
	}

	a := New(Deps{})
	probe, err := a.ProbeChecks(ctx, workflows.ChecksInput{Checks: []domain.Check{check("errors", nil, &domain.BeforeAfter{MaxIncrease: 1})}})
	if err != nil || probe.Values["c"] != 5 {
		t.Errorf("ProbeChecks = %v, %v; want c=5", probe.Values, err)
	}
	// A wave-level check runs once, without touching any host, and its
	// failure has no host: it fails the whole wave.
	res, err := a.RunChecks(ctx, workflows.ChecksInput{Hosts: []string{"h1", "h2"},
		Checks: []domain.Check{check("errors", &domain.Threshold{Op: "<", Value: 1}, nil)}})
	if err != nil || len(res.Failed) != 1 || res.Failed[0].Host != "" || !strings.Contains(res.Failed[0].Problem, "check c: value 5") {
		t.Errorf("RunChecks = %+v, %v; want one wave-level failure", res.Failed, err)
	}
}
