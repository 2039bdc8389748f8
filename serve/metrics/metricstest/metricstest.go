// Package metricstest reads rambox serve's /metrics as a Prometheus server
// would, over HTTP, and lints it with Debian prometheus' promtool: for the
// e2e tests that check the counters against the boots that happened.
package metricstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Timeout bounds Get and Promtool when ctx has no earlier deadline.
const Timeout = 10 * time.Second

// ErrNoPromtool is returned when promtool is not installed.
var ErrNoPromtool = errors.New("promtool not found (Debian package prometheus)")

// Get fetches url (a /metrics endpoint) in the text format.
func Get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("metrics %s: %w", url, err)
	}
	// The text format, not protobuf: what promtool checks.
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics %s: %s", url, resp.Status)
	}
	return b, nil
}

// Values parses the text format into one value per series, keyed
// name{label="value",...} with labels sorted by name (as Prometheus prints
// them): rambox_boots_total{digest="sha256:...",result="PASS"}. Counters,
// gauges and untyped series only.
func Values(text []byte) (map[string]float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var v float64
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				v = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				v = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				v = m.GetUntyped().GetValue()
			default:
				continue
			}
			out[Key(name, labelMap(m))] = v
		}
	}
	return out, nil
}

func labelMap(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// Key is the Values key of the series name with labels.
func Key(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%q", n, labels[n])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// Promtool runs `promtool check metrics` on text; any complaint is an
// error holding promtool's output.
func Promtool(ctx context.Context, text []byte) error {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		return ErrNoPromtool
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		return fmt.Errorf("promtool check metrics: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
