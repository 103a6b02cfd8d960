package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/policyspec"
	"github.com/patchflow/patchflow/workflows"
)

// workerStopTimeout reads the stop timeout `patchflow worker` gives running
// activities on SIGTERM (worker.Run); every grace period must exceed it.
func workerStopTimeout(t *testing.T) time.Duration {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "worker", "run.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`WorkerStopTimeout:\s*([^,\n]+),`).FindSubmatch(src)
	if m == nil {
		t.Fatal("worker/run.go sets no WorkerStopTimeout; the grace periods in deploy/ are sized from it")
	}
	v := strings.TrimSpace(string(m[1]))
	if ns, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(ns)
	}
	if m := regexp.MustCompile(`^(\d+)\s*\*\s*time\.(Second|Minute)$`).FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"Second": time.Second, "Minute": time.Minute}[m[2]]
		return time.Duration(n) * unit
	}
	t.Fatalf("worker/run.go: cannot read WorkerStopTimeout %q; teach workerStopTimeout this form", v)
	return 0
}

// workerFlags are the flags `patchflow worker` defines (cli/worker.go and
// the Temporal connection flags), read from the source: importing cli
// would link the embedded Temporal server into this test.
func workerFlags(t *testing.T) []string {
	t.Helper()
	re := regexp.MustCompile(`Var(?:P)?\(&[^,]+,\s*"([a-z0-9-]+)"`)
	var flags []string
	for _, f := range []string{"worker.go", "temporal_flags.go"} {
		src, err := os.ReadFile(filepath.Join("..", "cli", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			flags = append(flags, string(m[1]))
		}
	}
	if !slices.Contains(flags, "metrics-address") {
		t.Fatalf("found no --metrics-address among the worker's flags %v; has cli/worker.go changed shape?", flags)
	}
	return flags
}

// checkWorkerArgs checks that args run `patchflow worker` with flags it
// has, and returns the port of --metrics-address.
func checkWorkerArgs(t *testing.T, where string, args []string) string {
	t.Helper()
	if len(args) == 0 || args[0] != "worker" {
		t.Fatalf("%s: command %v does not start with \"worker\"", where, args)
	}
	flags := workerFlags(t)
	port := ""
	for i, a := range args[1:] {
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			continue
		}
		name, val, hasVal := strings.Cut(name, "=")
		if !slices.Contains(flags, name) {
			t.Errorf("%s: patchflow worker has no flag --%s (it has %v)", where, name, flags)
		}
		if name == "metrics-address" {
			if !hasVal && i+2 < len(args) {
				val = args[i+2]
			}
			_, port, _ = strings.Cut(val, ":")
		}
	}
	if port == "" {
		t.Fatalf("%s: %v sets no --metrics-address host:port; Prometheus scrapes a fixed port", where, args)
	}
	return port
}

// checkSearchAttributes checks that a shell script registers every search
// attribute the workflows upsert, as Keyword.
func checkSearchAttributes(t *testing.T, where, script string) {
	t.Helper()
	if !strings.Contains(script, "temporal operator search-attribute create") {
		t.Fatalf("%s: no `temporal operator search-attribute create` in:\n%s", where, script)
	}
	for _, name := range workflows.SearchAttributes {
		re := regexp.MustCompile(`--name\s+` + name + `\s+--type\s+Keyword\b`)
		if !re.MatchString(script) {
			t.Errorf("%s: search attribute %s is not registered as Keyword", where, name)
		}
	}
	if !regexp.MustCompile(`--retention\s`).MatchString(script) {
		t.Errorf("%s: the namespace's retention is not raised (the server's default is one day)", where)
	}
}

type composeFile struct {
	Services map[string]struct {
		Image           string            `yaml:"image"`
		Command         any               `yaml:"command"`
		Environment     map[string]string `yaml:"environment"`
		StopSignal      string            `yaml:"stop_signal"`
		StopGracePeriod string            `yaml:"stop_grace_period"`
		Ports           []string          `yaml:"ports"`
		Volumes         []string          `yaml:"volumes"`
		Secrets         []struct {
			Source string `yaml:"source"`
			Target string `yaml:"target"`
		} `yaml:"secrets"`
		Deploy struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
		Build struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

func commandText(c any) string {
	switch v := c.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, p := range v {
			s, _ := p.(string)
			parts = append(parts, s)
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func TestComposeRegistersSearchAttributes(t *testing.T) {
	var c composeFile
	decodeYAML(t, "compose/compose.yaml", &c)
	found := false
	for name, s := range c.Services {
		script := commandText(s.Command)
		if strings.Contains(script, "search-attribute create") {
			found = true
			// Compose expands $VAR itself; the shell's variables must be $$VAR.
			script = strings.ReplaceAll(script, "$$", "$")
			checkSearchAttributes(t, "compose.yaml service "+name, script)
			if !strings.HasPrefix(s.Image, "temporalio/admin-tools:") {
				t.Errorf("compose.yaml service %s runs the temporal CLI from image %q, want temporalio/admin-tools", name, s.Image)
			}
		}
	}
	if !found {
		t.Fatal("no service of compose.yaml registers the search attributes")
	}
}

func TestComposeWorkers(t *testing.T) {
	var c composeFile
	decodeYAML(t, "compose/compose.yaml", &c)
	w, ok := c.Services["worker"]
	if !ok {
		t.Fatal(`compose.yaml has no "worker" service (prometheus.yml discovers the workers by that name)`)
	}
	var args []string
	for _, a := range w.Command.([]any) {
		args = append(args, a.(string))
	}
	port := checkWorkerArgs(t, "compose.yaml worker", args)
	prom, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`names: \[worker\]\s+type: A\s+port: ` + port + `\b`).Match(prom) {
		t.Errorf("prometheus.yml does not scrape service worker on port %s", port)
	}
	if w.Deploy.Replicas < 2 {
		t.Errorf("compose.yaml runs %d worker(s); run at least 2 so one can stop while the other works", w.Deploy.Replicas)
	}
	grace, err := time.ParseDuration(w.StopGracePeriod)
	if err != nil {
		t.Fatalf("compose.yaml worker stop_grace_period %q: %v", w.StopGracePeriod, err)
	}
	if stop := workerStopTimeout(t); grace <= stop || w.StopSignal != "SIGTERM" {
		t.Errorf("compose.yaml worker: stop_signal %q, stop_grace_period %s; want SIGTERM and more than the worker's stop timeout %s", w.StopSignal, grace, stop)
	}
	if w.Build.Dockerfile != "deploy/Dockerfile" || filepath.Clean(filepath.Join("compose", w.Build.Context)) != ".." {
		t.Errorf("compose.yaml worker builds %s in %s, want deploy/Dockerfile in the repository root", w.Build.Dockerfile, w.Build.Context)
	}
	if w.Environment["TEMPORAL_ADDRESS"] == "" {
		t.Error("compose.yaml worker: TEMPORAL_ADDRESS is not set; the worker would dial 127.0.0.1:7233 inside its container")
	}
	targets := map[string]string{}
	for _, s := range w.Secrets {
		targets[s.Source] = s.Target
		file := c.Secrets[s.Source].File
		if !strings.HasPrefix(filepath.Clean(filepath.Join("compose", file)), filepath.Join("compose", "secrets")+string(filepath.Separator)) {
			t.Errorf("compose.yaml secret %s comes from %q, want a file under compose/secrets (git-ignored)", s.Source, file)
		}
	}
	if targets["ssh_key"] != "/home/nonroot/.ssh/id_ed25519" || targets["known_hosts"] != "/home/nonroot/.ssh/known_hosts" {
		t.Errorf("compose.yaml worker mounts secrets at %v; the transport reads ~/.ssh/id_ed25519 and ~/.ssh/known_hosts of uid 65532 (/home/nonroot)", targets)
	}
	ignore, err := os.ReadFile("compose/secrets/.gitignore")
	if err != nil || !strings.Contains(string(ignore), "\n*\n") {
		t.Errorf("compose/secrets/.gitignore must ignore everything but itself and the README: %v %q", err, ignore)
	}
	for _, p := range w.Ports {
		t.Errorf("compose.yaml worker publishes port %s; workers only poll Temporal, Prometheus reaches them inside the network", p)
	}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("compose.yaml service %s publishes %s on every interface; bind it to 127.0.0.1", name, p)
			}
		}
	}
}

// k8sObject mirrors the parts of the Kubernetes objects the tests read.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name        string            `yaml:"name"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Replicas int `yaml:"replicas"`
		Template struct {
			Metadata struct {
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []struct {
		Args    []string `yaml:"args"`
		Command []string `yaml:"command"`
		Ports   []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		ReadinessProbe struct {
			HTTPGet struct {
				Path string `yaml:"path"`
				Port any    `yaml:"port"`
			} `yaml:"httpGet"`
		} `yaml:"readinessProbe"`
		Env []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom struct {
				SecretKeyRef struct {
					Name string `yaml:"name"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
	} `yaml:"containers"`
	Volumes []struct {
		Name   string `yaml:"name"`
		Secret struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"secret"`
		ConfigMap struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

func loadK8s(t *testing.T, file string) k8sObject {
	t.Helper()
	var o k8sObject
	decodeYAML(t, filepath.Join("kubernetes", file), &o)
	return o
}

func TestKubernetesWorkers(t *testing.T) {
	var kust struct {
		Resources []string `yaml:"resources"`
	}
	decodeYAML(t, "kubernetes/kustomization.yaml", &kust)
	for _, r := range kust.Resources {
		if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
			t.Errorf("kustomization.yaml: resource %s: %v", r, err)
		}
		if o := loadK8s(t, r); o.Kind == "CronJob" {
			t.Errorf("kustomization.yaml: %s is a CronJob; schedules are Temporal Schedules", r)
		}
	}
	for _, want := range []string{"deployment.yaml", "service.yaml", "policies.yaml", "temporal-config.yaml"} {
		if !slices.Contains(kust.Resources, want) {
			t.Errorf("kustomization.yaml does not include %s", want)
		}
	}

	d := loadK8s(t, "deployment.yaml")
	if d.Kind != "Deployment" || d.Spec.Replicas != 2 {
		t.Errorf("deployment.yaml: %s with %d replicas, want a Deployment with 2", d.Kind, d.Spec.Replicas)
	}
	pod := d.Spec.Template.Spec
	if stop := workerStopTimeout(t); time.Duration(pod.TerminationGracePeriodSeconds)*time.Second <= stop {
		t.Errorf("deployment.yaml: terminationGracePeriodSeconds %d must exceed the worker's stop timeout %s", pod.TerminationGracePeriodSeconds, stop)
	}
	if !pod.SecurityContext.RunAsNonRoot {
		t.Error("deployment.yaml: the pod does not require runAsNonRoot")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("deployment.yaml: %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	port := checkWorkerArgs(t, "deployment.yaml", c.Args)
	var metricsPort string
	for _, p := range c.Ports {
		if p.Name == "metrics" {
			metricsPort = strconv.Itoa(p.ContainerPort)
		}
	}
	probe := c.ReadinessProbe.HTTPGet
	svc := loadK8s(t, "service.yaml")
	annotations := d.Spec.Template.Metadata.Annotations
	if metricsPort != port || probe.Path != "/metrics" || probe.Port != "metrics" ||
		annotations["prometheus.io/port"] != port || annotations["prometheus.io/scrape"] != "true" ||
		svc.Metadata.Annotations["prometheus.io/port"] != port {
		t.Errorf("deployment.yaml: --metrics-address port %s, container port %q, readiness %s on %v, pod scrape annotations %v, service annotations %v: all must name the metrics port",
			port, metricsPort, probe.Path, probe.Port, annotations, svc.Metadata.Annotations)
	}
	secrets := map[string]bool{}
	for _, e := range c.Env {
		if n := e.ValueFrom.SecretKeyRef.Name; n != "" {
			secrets[e.Name+"<-"+n] = true
		}
	}
	for _, v := range pod.Volumes {
		if v.Secret.SecretName != "" {
			secrets[v.Secret.SecretName] = true
		}
		if v.ConfigMap.Name != "" {
			secrets["configmap:"+v.ConfigMap.Name] = true
		}
	}
	for _, want := range []string{"TEMPORAL_API_KEY<-patchflow-temporal-api-key", "patchflow-temporal-tls", "patchflow-ssh", "configmap:patchflow-policies"} {
		if !secrets[want] {
			t.Errorf("deployment.yaml does not reference %s (has %v)", want, secrets)
		}
	}

	job := loadK8s(t, "temporal-setup-job.yaml")
	if job.Kind != "Job" || len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("temporal-setup-job.yaml: want a Job with one container, got %s", job.Kind)
	}
	jc := job.Spec.Template.Spec.Containers[0]
	checkSearchAttributes(t, "temporal-setup-job.yaml", strings.Join(append(jc.Command, jc.Args...), " "))
}

// TestExamplePoliciesLoad loads the example policies shipped with compose
// and the Kubernetes ConfigMap the way a worker would, inventory included.
func TestExamplePoliciesLoad(t *testing.T) {
	check := func(where, policyFile string) {
		p, err := policies.Load(policyFile)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		src, _, err := domain.InventorySource(p.Source, p.Targets.Inventory)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		inv, err := inventory.Load(src)
		if err != nil {
			t.Errorf("%s: inventory: %v", where, err)
			return
		}
		sel, err := inventory.ParseSelector(p.Targets.Select)
		if err != nil {
			t.Errorf("%s: targets.select: %v", where, err)
			return
		}
		if len(inv.Select(sel)) == 0 {
			t.Errorf("%s: targets.select %v matches no host of %s", where, p.Targets.Select, src)
		}
		if _, err := policyspec.Spec(p); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
	check("compose/config/policies/web.yaml", filepath.Join("compose", "config", "policies", "web.yaml"))

	cm := loadK8s(t, "policies.yaml")
	dir := t.TempDir()
	for name, content := range cm.Data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for name, content := range cm.Data {
		if strings.Contains(content, "kind: PatchPolicy") {
			n++
			check("kubernetes/policies.yaml "+name, filepath.Join(dir, name))
		}
	}
	if n == 0 {
		t.Error("kubernetes/policies.yaml holds no PatchPolicy")
	}
}

// TestDockerfile checks the properties the image promises: a pure Go
// build of cmd/patchflow, a non-root runtime, no keys inside.
func TestDockerfile(t *testing.T) {
	src, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(src)
	stages := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(stages) < 2 || !strings.HasPrefix(stages[0][1], "golang:1.26") || strings.HasPrefix(stages[len(stages)-1][1], "golang") {
		t.Errorf("Dockerfile stages %v: want a golang:1.26 build stage and a small runtime stage", stages)
	}
	if !regexp.MustCompile(`CGO_ENABLED=0 go build[^\n]*(\\\n[^\n]*)*\./cmd/patchflow`).MatchString(df) {
		t.Error("Dockerfile does not build ./cmd/patchflow with CGO_ENABLED=0")
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "0") || strings.HasPrefix(users[len(users)-1][1], "root") {
		t.Errorf("Dockerfile: the image must run as a non-root user, USER lines %v", users)
	}
	for _, m := range regexp.MustCompile(`(?m)^(?:COPY|ADD)\s.*$`).FindAllString(df, -1) {
		if regexp.MustCompile(`id_|known_hosts|\.ssh|secrets`).MatchString(m) {
			t.Errorf("Dockerfile copies SSH material into the image: %s", m)
		}
	}
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deploy/compose/secrets", "**/id_ed25519*", "**/known_hosts"} {
		if !strings.Contains(string(ignore), want+"\n") {
			t.Errorf("Dockerfile.dockerignore does not keep %s out of the build context", want)
		}
	}
}
