package report

import (
	"fmt"
	"strings"
	"time"
)

// The trend chart is drawn here, not by a script: an inline SVG whose
// geometry is computed from the trend points, so the HTML file needs
// nothing but itself and prints as it shows.

const (
	chartW      = 960.0
	chartH      = 300.0
	chartLeft   = 52.0
	chartRight  = 56.0
	chartTop    = 14.0
	chartBottom = 40.0
)

// chartView is the geometry of the trend chart.
type chartView struct {
	W, H                       float64
	PlotX, PlotY, PlotW, PlotH float64
	// Line is the compliant-ratio polyline's points attribute.
	Line   string
	Points []chartPoint
	Bars   []chartBar
	// YTicks are the ratio axis (left), CountTicks the host count axis
	// (right), XTicks dates along the bottom.
	YTicks     []chartTick
	CountTicks []chartTick
	XTicks     []chartTick
	MaxHosts   int
}

// chartPoint is one trend sample on the ratio line.
type chartPoint struct {
	X, Y  float64
	At    string
	Title string
}

// chartBar is one trend sample's host counts, stacked.
type chartBar struct {
	X, W     float64
	Segments []chartSegment
}

type chartSegment struct {
	Y, H  float64
	Class string
}

type chartTick struct {
	Pos   float64
	Label string
}

// f1 formats chart coordinates with one decimal, so the SVG is the same
// bytes on every run.
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// newChart lays out the trend points (oldest first) in time order: the x
// position is proportional to the time, so gaps between assessments show.
func newChart(points []TrendPoint, c clock) chartView {
	v := chartView{W: chartW, H: chartH, PlotX: chartLeft, PlotY: chartTop,
		PlotW: chartW - chartLeft - chartRight, PlotH: chartH - chartTop - chartBottom}
	n := len(points)
	if n == 0 {
		return v
	}
	maxHosts := 1
	for _, p := range points {
		maxHosts = max(maxHosts, p.Hosts)
	}
	v.MaxHosts = maxHosts
	t0, t1 := points[0].At, points[n-1].At
	span := t1.Sub(t0)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return v.PlotX + v.PlotW/2
		}
		return v.PlotX + v.PlotW*float64(t.Sub(t0))/float64(span)
	}
	barW := min(v.PlotW/float64(n)*0.7, 18)
	barW = max(barW, 1)
	var line strings.Builder
	for i, p := range points {
		px := x(p.At)
		py := v.PlotY + v.PlotH*(1-p.CompliantRatio)
		if i > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(f1(px) + "," + f1(py))
		v.Points = append(v.Points, chartPoint{X: px, Y: py, At: p.At.UTC().Format(time.RFC3339),
			Title: fmt.Sprintf("%s: %.1f%% compliant (%d of %d hosts), %d noncompliant, %d never assessed, %d critical and %d high fixes missing",
				c.At(p.At), 100*p.CompliantRatio, p.Compliant, p.Hosts, p.Noncompliant, p.NeverAssessed, p.Missing.Critical, p.Missing.High)})
		bar := chartBar{X: px - barW/2, W: barW}
		y := v.PlotY + v.PlotH
		for _, s := range []struct {
			n     int
			class string
		}{
			{p.Compliant, "c-compliant"}, {p.Exception, "c-exception"}, {p.Noncompliant, "c-noncompliant"},
			{p.AssessmentFailed + p.StaleAssessment, "c-failed"}, {p.NeverAssessed, "c-never"},
		} {
			if s.n == 0 {
				continue
			}
			h := v.PlotH * float64(s.n) / float64(maxHosts)
			y -= h
			bar.Segments = append(bar.Segments, chartSegment{Y: y, H: h, Class: s.class})
		}
		v.Bars = append(v.Bars, bar)
	}
	v.Line = line.String()
	for _, r := range []float64{0, 0.25, 0.5, 0.75, 1} {
		v.YTicks = append(v.YTicks, chartTick{Pos: v.PlotY + v.PlotH*(1-r), Label: fmt.Sprintf("%.0f%%", 100*r)})
	}
	for _, k := range []int{0, maxHosts / 2, maxHosts} {
		v.CountTicks = append(v.CountTicks, chartTick{Pos: v.PlotY + v.PlotH*(1-float64(k)/float64(maxHosts)), Label: fmt.Sprint(k)})
	}
	ticks := min(n, 6)
	seen := map[int]bool{}
	for i := 0; i < ticks; i++ {
		idx := 0
		if ticks > 1 {
			idx = i * (n - 1) / (ticks - 1)
		}
		if seen[idx] {
			continue
		}
		seen[idx] = true
		v.XTicks = append(v.XTicks, chartTick{Pos: x(points[idx].At), Label: c.Date(points[idx].At)})
	}
	return v
}
