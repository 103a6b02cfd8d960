package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// HTMLOptions bound the size of an HTML rendering: past each limit the
// file says how much it left out and points at the JSON, which has all.
// Zero values take the defaults.
type HTMLOptions struct {
	// MaxHosts is how many hosts get a row (default 2,000).
	MaxHosts int
	// MaxFixesPerHost is how many fixes one host lists (default 25).
	MaxFixesPerHost int
	// MaxFixRows is how many fix rows the whole file lists, in ranking
	// order (default 10,000).
	MaxFixRows int
	// MaxExceptions is how many exceptions are listed (default 2,000).
	MaxExceptions int
	// MaxTrendPoints is how many of the latest trend points the chart
	// draws (default 400); the trend table lists the latest 31.
	MaxTrendPoints int
}

// Default HTML limits.
const (
	DefaultHTMLMaxHosts        = 2000
	DefaultHTMLMaxFixesPerHost = 25
	DefaultHTMLMaxFixRows      = 10000
	DefaultHTMLMaxExceptions   = 2000
	DefaultHTMLMaxTrendPoints  = 400
	htmlTrendTableRows         = 31
)

func (o HTMLOptions) withDefaults() HTMLOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxHosts, DefaultHTMLMaxHosts)
	def(&o.MaxFixesPerHost, DefaultHTMLMaxFixesPerHost)
	def(&o.MaxFixRows, DefaultHTMLMaxFixRows)
	def(&o.MaxExceptions, DefaultHTMLMaxExceptions)
	def(&o.MaxTrendPoints, DefaultHTMLMaxTrendPoints)
	return o
}

// templates parses the embedded templates once; they are part of the
// binary, so a parse error is a programming error caught by every test.
var templates = template.Must(template.New("report").Funcs(template.FuncMap{
	"dur":     func(s int64) string { return humanDuration(durSeconds(s)) },
	"pct":     func(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) },
	"f1":      f1,
	"join":    func(s []string) string { return strings.Join(s, ", ") },
	"joinMax": joinMax,
	"due":     dueText,
	"epss": func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.3f", *p)
	},
	"dash":       dash,
	"add":        func(a, b int) int { return a + b },
	"kev":        kevText,
	"srcs":       func(s []SourceFreshness, c clock) sourcesView { return sourcesView{s, c} },
	"plotRight":  func(v chartView) float64 { return v.PlotX + v.PlotW },
	"plotBottom": func(v chartView) float64 { return v.PlotY + v.PlotH },
	"addf":       func(a, b float64) float64 { return a + b },
	"sub":        func(a, b float64) float64 { return a - b },
	"findings": func(title string, hosts []findingsView, hidden int, c clock) findingsSection {
		return findingsSection{title, hosts, hidden, c}
	},
	"historySource": func(h *HistorySource, c clock) string { return historySourceText(c, *h) },
	"historyRuns":   historyRunsText,
}).ParseFS(templateFS, "templates/*.tmpl"))

// sourcesView is what the sources table needs.
type sourcesView struct {
	Sources []SourceFreshness
	Clock   clock
}

// complianceView is what the compliance template draws: the report and
// the bounded parts of it.
type complianceView struct {
	R                *ComplianceReport
	Clock            clock
	Title            string
	Gen              string
	Hosts            []hostView
	HostsHidden      int
	Detailed         []hostView
	DetailHidden     int
	Exceptions       []ExceptionRow
	ExceptionsHidden int
	Chart            chartView
	ChartHidden      int
	TrendRows        []TrendPoint
	TrendHidden      int
	Opts             HTMLOptions
}

// hostView is one host row with the fixes the size bounds let through.
type hostView struct {
	HostRow
	Fixes       []MissingFix
	FixesHidden int
}

// WriteComplianceHTML writes a compliance report as one self-contained
// HTML file for an audit: header and data freshness, totals, the trend
// chart, the hosts furthest out of SLA first with their missing fixes, the
// exceptions and a footer saying how it was made. It has no script and
// fetches nothing (a Content-Security-Policy forbids it); every value is
// escaped by html/template; opts bounds its size.
func WriteComplianceHTML(w io.Writer, r *ComplianceReport, opts HTMLOptions) error {
	if err := r.Validate(); err != nil {
		return err
	}
	opts = opts.withDefaults()
	c := newClock(r.TimeZone)
	v := complianceView{R: r, Clock: c, Opts: opts, Gen: r.Generator,
		Title: fmt.Sprintf("Compliance report: %s, %s", strings.ReplaceAll(joinMax(r.Scope.Policies, 5), ",", ", "), c.Date(r.GeneratedAt))}
	shown := min(len(r.Hosts), opts.MaxHosts)
	v.HostsHidden = len(r.Hosts) - shown
	budget := opts.MaxFixRows
	for _, h := range r.Hosts[:shown] {
		hv := hostView{HostRow: h}
		n := min(len(h.Missing), opts.MaxFixesPerHost, budget)
		hv.Fixes = h.Missing[:n]
		hv.FixesHidden = len(h.Missing) - n
		budget -= n
		v.Hosts = append(v.Hosts, hv)
		if len(h.Missing) > 0 || h.Failure != nil {
			if n > 0 || h.Failure != nil {
				v.Detailed = append(v.Detailed, hv)
			} else {
				v.DetailHidden++
			}
		}
	}
	ex := min(len(r.Exceptions), opts.MaxExceptions)
	v.Exceptions, v.ExceptionsHidden = r.Exceptions[:ex], len(r.Exceptions)-ex
	trend := r.Trend
	if len(trend) > opts.MaxTrendPoints {
		v.ChartHidden = len(trend) - opts.MaxTrendPoints
		trend = trend[v.ChartHidden:]
	}
	v.Chart = newChart(trend, c)
	rows := r.Trend
	if len(rows) > htmlTrendTableRows {
		v.TrendHidden = len(rows) - htmlTrendTableRows
		rows = rows[v.TrendHidden:]
	}
	v.TrendRows = rows
	return execute(w, "compliance.html.tmpl", v)
}

// cycleView is what the evidence template draws.
type cycleView struct {
	E              *CycleEvidence
	Clock          clock
	Title          string
	Gen            string
	Waves          []waveView
	Before         []findingsView
	After          []findingsView
	BeforeHidden   int
	AfterHidden    int
	Timeline       []Event
	TimelineHidden int
	Approval       string
	Opts           HTMLOptions
	BeforeFindings int
	AfterFindings  int
	// NotPatched are the hosts that did not end patched, at most MaxHosts;
	// RemediationRows the planned hosts, those not verified first.
	NotPatched        []CycleHost
	NotPatchedHidden  int
	Remediation       string
	RemediationRows   []HostRemediation
	RemediationHidden int
}

type waveView struct {
	WaveEvidence
	Shown  []WaveHost
	Hidden int
}

// findingsSection is one list of host findings (before or after).
type findingsSection struct {
	Title       string
	Hosts       []findingsView
	HostsHidden int
	Clock       clock
}

type findingsView struct {
	HostFindings
	Fixes  []Finding
	Hidden int
}

// WriteCycleEvidenceHTML writes a cycle's evidence pack as one
// self-contained HTML file, under the same guarantees and bounds as
// WriteComplianceHTML (MaxHosts rows per wave and per assessment,
// MaxFixesPerHost and MaxFixRows for findings).
func WriteCycleEvidenceHTML(w io.Writer, e *CycleEvidence, opts HTMLOptions) error {
	if err := e.Validate(); err != nil {
		return err
	}
	opts = opts.withDefaults()
	c := newClock(e.TimeZone)
	v := cycleView{E: e, Clock: c, Opts: opts, Gen: e.Generator, Approval: approvalText(c, e.Approval),
		Title:          "Cycle evidence: " + e.CycleID,
		BeforeFindings: countFindings(e.Before), AfterFindings: countFindings(e.After)}
	for _, wv := range e.Waves {
		n := min(len(wv.Hosts), opts.MaxHosts)
		v.Waves = append(v.Waves, waveView{WaveEvidence: wv, Shown: wv.Hosts[:n], Hidden: len(wv.Hosts) - n})
	}
	budget := opts.MaxFixRows
	v.Before, v.BeforeHidden = boundFindings(e.Before, opts, &budget)
	v.After, v.AfterHidden = boundFindings(e.After, opts, &budget)
	n := min(len(e.Timeline), opts.MaxFixRows)
	v.Timeline, v.TimelineHidden = e.Timeline[:n], len(e.Timeline)-n
	boundOutcomes(&v, opts)
	return execute(w, "cycle.html.tmpl", v)
}

func boundFindings(in []HostFindings, opts HTMLOptions, budget *int) ([]findingsView, int) {
	n := min(len(in), opts.MaxHosts)
	out := make([]findingsView, 0, n)
	for _, h := range in[:n] {
		k := min(len(h.Findings), opts.MaxFixesPerHost, *budget)
		*budget -= k
		out = append(out, findingsView{HostFindings: h, Fixes: h.Findings[:k], Hidden: len(h.Findings) - k})
	}
	return out, len(in) - n
}

// execute renders a template, then makes every control character and
// bidi override that came from the data visible (`\x1b`, `\u202e`), as
// the terminal renderings do: html/template escapes markup but passes
// them through, and in a browser they would hide or reorder text.
func execute(w io.Writer, name string, v any) error {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, v); err != nil {
		return fmt.Errorf("render %s: %w", strings.TrimSuffix(name, ".html.tmpl"), err)
	}
	if _, err := io.WriteString(w, escapeControls(b.String(), true)); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}
