package report

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

var day = 24 * time.Hour

// oneHost builds a report of one host under policy "web" with the given
// SLA and returns its row.
func oneHost(t *testing.T, sla SLA, h HostInput, exc ...Exception) HostRow {
	t.Helper()
	h.Policy = "web"
	if h.Host == "" {
		h.Host = "web-1"
	}
	r, err := BuildCompliance(ComplianceInput{GeneratedAt: estateNow, SLAs: map[string]SLA{"web": sla}, Hosts: []HostInput{h}, Exceptions: exc})
	if err != nil {
		t.Fatal(err)
	}
	return r.Hosts[0]
}

func fix(pkg string, sev Severity, firstSeen time.Duration, cves ...string) Finding {
	return Finding{Package: pkg, Installed: "1.0-1", FixedVersion: "1.0-1+deb12u1", CVEs: cves, Severity: sev, FirstSeen: estateNow.Add(-firstSeen)}
}

func TestHostStateRules(t *testing.T) {
	now := estateNow
	sla := SLA{High: 14 * day}
	cases := []struct {
		name string
		in   HostInput
		exc  []Exception
		want HostState
	}{
		{"never assessed", HostInput{}, nil, StateNeverAssessed},
		{"failed, never assessed before", HostInput{Failure: &AssessmentFailure{At: now.Add(-time.Hour), Error: "ssh: no route to host"}}, nil, StateAssessmentFailed},
		{"failed after the last complete one", HostInput{LastAssessed: now.Add(-3 * time.Hour), Failure: &AssessmentFailure{At: now.Add(-time.Hour), Error: "apt lock held"},
			Missing: []Finding{fix("a", domain.SeverityHigh, day, "CVE-2099-0001")}}, nil, StateAssessmentFailed},
		{"old failure, current assessment", HostInput{LastAssessed: now.Add(-time.Hour), Failure: &AssessmentFailure{At: now.Add(-3 * time.Hour), Error: "timeout"}}, nil, StateCompliant},
		{"stale beats its fixes", HostInput{LastAssessed: now.Add(-49 * time.Hour), Missing: []Finding{fix("a", domain.SeverityHigh, day, "CVE-2099-0001")}}, nil, StateStaleAssessment},
		{"stale beats compliant", HostInput{LastAssessed: now.Add(-49 * time.Hour)}, nil, StateStaleAssessment},
		{"current and clean", HostInput{LastAssessed: now.Add(-47 * time.Hour)}, nil, StateCompliant},
		{"a fix missing", HostInput{LastAssessed: now, Missing: []Finding{fix("a", domain.SeverityLow, day)}}, nil, StateNoncompliant},
		{"reboot pending alone stays compliant", HostInput{LastAssessed: now, RebootPending: true}, nil, StateCompliant},
		{"a reboot-pending fix is still missing", HostInput{LastAssessed: now, RebootPending: true,
			Missing: []Finding{{Package: "linux-image-amd64", Installed: "6.1.119-1", FixedVersion: "6.1.119-1", CVEs: []string{"CVE-2099-0002"}, Severity: domain.SeverityHigh, FirstSeen: now.Add(-day), RebootPending: true}}},
			nil, StateNoncompliant},
		{"all fixes excepted", HostInput{LastAssessed: now, Missing: []Finding{fix("a", domain.SeverityHigh, day, "CVE-2099-0001", "CVE-2099-0002")}},
			[]Exception{{ID: "E1", CVEs: []string{"CVE-2099-0001", "CVE-2099-0002"}, Hosts: []string{"web-1"}, Until: now.Add(day), Reason: "r"}}, StateException},
		{"one CVE of the fix not excepted", HostInput{LastAssessed: now, Missing: []Finding{fix("a", domain.SeverityHigh, day, "CVE-2099-0001", "CVE-2099-0002")}},
			[]Exception{{ID: "E1", CVEs: []string{"CVE-2099-0001"}, Hosts: []string{"web-1"}, Until: now.Add(day), Reason: "r"}}, StateNoncompliant},
		{"exception expired at now", HostInput{LastAssessed: now, Missing: []Finding{fix("a", domain.SeverityHigh, day, "CVE-2099-0001")}},
			[]Exception{{ID: "E1", CVEs: []string{"CVE-2099-0001"}, Hosts: []string{"web-1"}, Until: now, Reason: "r"}}, StateNoncompliant},
		{"exception for another host", HostInput{LastAssessed: now, Missing: []Finding{fix("a", domain.SeverityHigh, day, "CVE-2099-0001")}},
			[]Exception{{ID: "E1", CVEs: []string{"CVE-2099-0001"}, Hosts: []string{"web-2"}, Until: now.Add(day), Reason: "r"}}, StateNoncompliant},
		{"a fix without CVE cannot be excepted", HostInput{LastAssessed: now, Missing: []Finding{fix("a", domain.SeverityHigh, day)}},
			[]Exception{{ID: "E1", CVEs: []string{"CVE-2099-0001"}, Hosts: []string{"web-1"}, Until: now.Add(day), Reason: "r"}}, StateNoncompliant},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := oneHost(t, sla, c.in, c.exc...).State; got != c.want {
				t.Errorf("state %s, want %s", got, c.want)
			}
		})
	}
}

func TestSLAStatesAndDeadlines(t *testing.T) {
	now := estateNow
	web := SLA{Critical: 7 * day, High: 20 * day, KEVDueDate: true}
	cases := []struct {
		name     string
		sla      SLA
		f        Finding
		want     SLAState
		source   SLASource
		due      time.Time
		slaWidth time.Duration
	}{
		{"no SLA for low", web, fix("a", domain.SeverityLow, 400*day), SLANone, "", time.Time{}, 0},
		{"within: 6 of 20 days left is more than a quarter", web, fix("a", domain.SeverityHigh, 14*day), SLAWithin, SLAFromPolicy, now.Add(6 * day), 20 * day},
		{"due soon: exactly a quarter left", web, fix("a", domain.SeverityHigh, 15*day), SLADueSoon, SLAFromPolicy, now.Add(5 * day), 20 * day},
		{"due soon: at the deadline", web, fix("a", domain.SeverityHigh, 20*day), SLADueSoon, SLAFromPolicy, now, 20 * day},
		{"breached: a second past", web, fix("a", domain.SeverityHigh, 20*day+time.Second), SLABreached, SLAFromPolicy, now.Add(-time.Second), 20 * day},
		{"KEV due date earlier than the policy's", web,
			Finding{Package: "libc6", Installed: "2.36-9+deb12u2", FixedVersion: "2.36-9+deb12u3", CVEs: []string{"CVE-2023-4911"}, Severity: domain.SeverityHigh, KEV: true, KEVDueDate: "2023-12-12", FirstSeen: now.Add(-day)},
			SLABreached, SLAFromKEV, time.Date(2023, 12, 13, 0, 0, 0, 0, time.UTC), 0},
		{"KEV due date later than the policy's", web,
			Finding{Package: "x", Installed: "1", FixedVersion: "2", CVEs: []string{"CVE-2099-0003"}, Severity: domain.SeverityCritical, KEV: true, KEVDueDate: "2026-12-31", FirstSeen: now.Add(-day)},
			SLAWithin, SLAFromPolicy, now.Add(6 * day), 7 * day},
		{"KEV due date ignored when the policy says so", SLA{High: 20 * day},
			Finding{Package: "libc6", Installed: "2.36-9+deb12u2", FixedVersion: "2.36-9+deb12u3", CVEs: []string{"CVE-2023-4911"}, Severity: domain.SeverityHigh, KEV: true, KEVDueDate: "2023-12-12", FirstSeen: now.Add(-day)},
			SLAWithin, SLAFromPolicy, now.Add(19 * day), 20 * day},
		{"KEV only, no policy SLA for the severity", SLA{KEVDueDate: true},
			Finding{Package: "x", Installed: "1", FixedVersion: "2", CVEs: []string{"CVE-2099-0004"}, Severity: domain.SeverityLow, KEV: true, KEVDueDate: "2026-11-30", FirstSeen: now.Add(-2 * day)},
			SLAWithin, SLAFromKEV, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := oneHost(t, c.sla, HostInput{LastAssessed: now, Missing: []Finding{c.f}})
			m := row.Missing[0]
			if m.SLAState != c.want || m.SLASource != c.source || !m.DueAt.Equal(c.due) {
				t.Errorf("got %s from %q due %s, want %s from %q due %s", m.SLAState, m.SLASource, m.DueAt, c.want, c.source, c.due)
			}
			if c.slaWidth > 0 && m.SLASeconds != seconds(c.slaWidth) {
				t.Errorf("sla_seconds %d, want %d", m.SLASeconds, seconds(c.slaWidth))
			}
			if m.AgeSeconds != seconds(now.Sub(c.f.FirstSeen)) {
				t.Errorf("age %d, want %d", m.AgeSeconds, seconds(now.Sub(c.f.FirstSeen)))
			}
		})
	}
}

func TestExceptionCoverageNamesTheBindingException(t *testing.T) {
	now := estateNow
	exc := []Exception{
		{ID: "LONG", CVEs: []string{"CVE-2099-0001", "CVE-2099-0002"}, Hosts: []string{"web-1"}, Until: now.Add(30 * day), Reason: "long"},
		{ID: "SHORT", CVEs: []string{"CVE-2099-0002"}, Hosts: []string{"web-1"}, Until: now.Add(3 * day), Reason: "short"},
		{ID: "A-SOON", CVEs: []string{"CVE-2099-0003"}, Hosts: []string{"web-1"}, Until: now.Add(2 * day), Reason: "soon"},
		{ID: "OLD", CVEs: []string{"CVE-2099-0001"}, Hosts: []string{"web-1"}, Until: now.Add(-day), Reason: "expired"},
	}
	r, err := BuildCompliance(ComplianceInput{GeneratedAt: now, Hosts: []HostInput{{Host: "web-1", Policy: "web", LastAssessed: now,
		Missing: []Finding{fix("a", domain.SeverityHigh, day, "CVE-2099-0001", "CVE-2099-0002"), fix("b", domain.SeverityLow, day, "CVE-2099-0003")}}},
		Exceptions: exc})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range r.Hosts[0].Missing {
		got[m.Package] = m.Exception.ID
	}
	// Each CVE takes its latest-expiring exception (LONG for both), and
	// the fix is covered until the earliest of those: LONG.
	if got["a"] != "LONG" || got["b"] != "A-SOON" {
		t.Errorf("binding exceptions %v, want a: LONG, b: A-SOON", got)
	}
	var ids []string
	cov := map[string]int{}
	for _, e := range r.Exceptions {
		ids = append(ids, e.ID)
		cov[e.ID] = e.CoveredFixes
		if e.ID == "OLD" && !e.Expired {
			t.Error("OLD is past its until but not marked expired")
		}
	}
	if strings.Join(ids, ",") != "OLD,A-SOON,SHORT,LONG" {
		t.Errorf("exceptions in order %v, want the soonest to expire first", ids)
	}
	if cov["LONG"] != 1 || cov["SHORT"] != 1 || cov["A-SOON"] != 1 || cov["OLD"] != 0 {
		t.Errorf("covered fixes %v", cov)
	}
	if r.Hosts[0].State != StateException || r.Totals.Excepted != 2 || r.Totals.Missing != 0 {
		t.Errorf("state %s, excepted %d, missing %d", r.Hosts[0].State, r.Totals.Excepted, r.Totals.Missing)
	}
}

func TestRankingPutsTheHostFurthestOutOfSLAFirst(t *testing.T) {
	now := estateNow
	sla := SLA{Critical: 7 * day, High: 14 * day, Low: 90 * day}
	hosts := []HostInput{
		{Host: "a-clean", LastAssessed: now},
		{Host: "b-never"},
		{Host: "c-low-within", LastAssessed: now, Missing: []Finding{fix("p", domain.SeverityLow, day)}},
		{Host: "d-high-overdue-3d", LastAssessed: now, Missing: []Finding{fix("p", domain.SeverityHigh, 17*day)}},
		{Host: "e-critical-overdue-3d-two", LastAssessed: now, Missing: []Finding{fix("p", domain.SeverityCritical, 10*day), fix("q", domain.SeverityLow, 93*day)}},
		{Host: "f-overdue-9d", LastAssessed: now, Missing: []Finding{fix("p", domain.SeverityLow, 99*day)}},
		{Host: "g-unknown-no-sla", LastAssessed: now, Missing: []Finding{fix("p", domain.SeverityUnknown, 300*day), fix("q", domain.SeverityUnknown, 300*day)}},
		{Host: "h-failed", Failure: &AssessmentFailure{At: now, Error: "x"}},
	}
	for i := range hosts {
		hosts[i].Policy = "web"
	}
	r, err := BuildCompliance(ComplianceInput{GeneratedAt: now, SLAs: map[string]SLA{"web": sla}, Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, h := range r.Hosts {
		got = append(got, h.Host)
		if h.Rank != i+1 {
			t.Errorf("%s has rank %d at %d", h.Host, h.Rank, i+1)
		}
	}
	want := []string{
		"f-overdue-9d",              // the earliest deadline: 9 days ago
		"e-critical-overdue-3d-two", // 3 days ago, two breached fixes (critical and low)
		"d-high-overdue-3d",         // 3 days ago, one breached
		"c-low-within",              // a deadline ahead
		"g-unknown-no-sla",          // no deadline: more missing first
		"h-failed",                  // then by state order
		"b-never",
		"a-clean",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ranking\n got %v\nwant %v", got, want)
	}
	if s := r.Hosts[0].Summary; s.OverdueSeconds != seconds(9*day) || s.Breached != 1 {
		t.Errorf("top host summary %+v", s)
	}
}

func TestTotalsAndPoint(t *testing.T) {
	r := buildEstate(t, 60)
	var missing, states int
	for _, s := range r.Totals.BySeverity {
		missing += s.Missing
	}
	for _, s := range r.Totals.ByState {
		states += s.Hosts
	}
	var rowsMissing int
	for _, h := range r.Hosts {
		rowsMissing += h.Summary.Missing
	}
	if missing != r.Totals.Missing || rowsMissing != missing || states != 60 || r.Totals.Hosts != 60 {
		t.Errorf("totals disagree: by severity %d, rows %d, total %d; states %d", missing, rowsMissing, r.Totals.Missing, states)
	}
	p := r.Point()
	last := r.Trend[len(r.Trend)-1]
	if p != last {
		t.Errorf("the report's point %+v is not the last trend point %+v", p, last)
	}
	if r.Totals.StaleSources != 1 {
		t.Errorf("stale sources %d, want 1 (the KEV snapshot)", r.Totals.StaleSources)
	}
	counts := map[HostState]int{}
	for _, s := range r.Totals.ByState {
		counts[s.State] = s.Hosts
	}
	if counts[StateNeverAssessed] != 2 || counts[StateAssessmentFailed] != 1 || counts[StateStaleAssessment] != 1 || counts[StateException] != 1 {
		t.Errorf("state counts %v", counts)
	}
	if r.Hosts[0].Host != worstHost {
		t.Errorf("first host %q, want %q (the KEV fix due 2023-12-12)", r.Hosts[0].Host, worstHost)
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	in := estateInput(t, 60, 1)
	a, err := BuildCompliance(in)
	if err != nil {
		t.Fatal(err)
	}
	// The same facts in another order, with times in another zone.
	rng := rand.New(rand.NewPCG(3, 3))
	berlin, _ := time.LoadLocation("Europe/Berlin")
	in2 := estateInput(t, 60, 1)
	rng.Shuffle(len(in2.Hosts), func(i, j int) { in2.Hosts[i], in2.Hosts[j] = in2.Hosts[j], in2.Hosts[i] })
	rng.Shuffle(len(in2.Trend), func(i, j int) { in2.Trend[i], in2.Trend[j] = in2.Trend[j], in2.Trend[i] })
	for i := range in2.Hosts {
		h := &in2.Hosts[i]
		h.LastAssessed = h.LastAssessed.In(berlin)
		rng.Shuffle(len(h.Missing), func(i, j int) { h.Missing[i], h.Missing[j] = h.Missing[j], h.Missing[i] })
	}
	in2.GeneratedAt = in2.GeneratedAt.In(berlin)
	b, err := BuildCompliance(in2)
	if err != nil {
		t.Fatal(err)
	}
	var ja, jb, ha, hb, ta, tb bytes.Buffer
	for _, w := range []struct {
		r    *ComplianceReport
		j, h *bytes.Buffer
		tt   *bytes.Buffer
	}{{a, &ja, &ha, &ta}, {b, &jb, &hb, &tb}} {
		if err := WriteJSON(w.j, w.r); err != nil {
			t.Fatal(err)
		}
		if err := WriteComplianceHTML(w.h, w.r, HTMLOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteComplianceTable(w.tt, w.r, TableOptions{Fixes: true}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(ja.Bytes(), jb.Bytes()) || !bytes.Equal(ha.Bytes(), hb.Bytes()) || !bytes.Equal(ta.Bytes(), tb.Bytes()) {
		t.Error("the same facts in another order or zone rendered different bytes")
	}
	back, err := ReadCompliance(bytes.NewReader(ja.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), ja.Bytes()) {
		t.Error("JSON does not survive a read and a write unchanged")
	}
}

func TestBuildComplianceNamesEveryProblem(t *testing.T) {
	now := estateNow
	in := ComplianceInput{
		GeneratedAt: now,
		TimeZone:    "Mars/Olympus",
		SLAs:        map[string]SLA{"web": {High: -day}},
		Hosts: []HostInput{
			{Host: "web-1", Policy: "web", LastAssessed: now, Missing: []Finding{
				{Package: "a", FixedVersion: "2", Severity: "severe", FirstSeen: now},
				{Package: "b", FixedVersion: "2", Severity: domain.SeverityHigh},
				{Package: "c", FixedVersion: "2", Severity: domain.SeverityHigh, FirstSeen: now, KEV: true, KEVDueDate: "12/12/2023"},
			}},
			{Host: "web-1", Policy: "web"},
			{Host: "web-2", Policy: "web", Missing: []Finding{fix("a", domain.SeverityLow, day)}},
			{Host: "web-3\x1b[2J", Policy: ""},
		},
		Exceptions: []Exception{{ID: "E", CVEs: []string{"CVE-2099-0001"}, Hosts: []string{"web-1"}, Reason: "r"}},
	}
	_, err := BuildCompliance(in)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`time zone "Mars/Olympus"`, `sla for high is negative`, `severity "severe"`, `first_seen is zero`,
		`kev_due_date "12/12/2023"`, `"web-1" under policy "web" listed twice`, `host "web-2": 1 missing fixes but no complete assessment`,
		`host "web-3\x1b[2J" has an empty policy name`, `exception "E": no end time`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.ContainsRune(msg, 0x1b) {
		t.Error("the error carries a raw ESC")
	}
}
