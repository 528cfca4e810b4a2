package templatetests

import (
	"testing"

	"github.com/umlimages/umlimages/internal/config"
)

// TestEveryFunction: all our functions are provided.al2023 on arm64 with
// X-Ray active, JSON logs, an explicit timeout and memory, and the asset
// path SAM needs.
func TestEveryFunction(t *testing.T) {
	for _, env := range environments() {
		for stackName, want := range map[string]int{"Primary": 3, "Standby": 4} {
			tpl := stack(t, "UmlImages-"+env+"-"+stackName)
			fns := tpl.ours()
			if len(fns) != want {
				t.Errorf("%s: %d functions of ours, want %d", tpl.Name, len(fns), want)
			}
			for id, f := range fns {
				p := f.Properties
				if p["Runtime"] != "provided.al2023" || js(p["Architectures"]) != `["arm64"]` {
					t.Errorf("%s %s: runtime %v on %v", tpl.Name, id, p["Runtime"], p["Architectures"])
				}
				has(t, tpl.Name+" "+id+" tracing", p["TracingConfig"], `"Mode":"Active"`)
				has(t, tpl.Name+" "+id+" logging", p["LoggingConfig"], `"LogFormat":"JSON"`, `"LogGroup"`)
				if p["Timeout"] == nil || p["MemorySize"] == nil {
					t.Errorf("%s %s: timeout %v, memory %v; both must be explicit", tpl.Name, id, p["Timeout"], p["MemorySize"])
				}
				if f.Metadata["aws:asset:path"] == nil {
					t.Errorf("%s %s: no aws:asset:path metadata (SAM needs it)", tpl.Name, id)
				}
			}
		}
	}
}

// TestFunctionSettings: the render function stays under API Gateway's
// 29 s; backup and failover run one at a time; the asynchronous ones have
// a dead-letter queue.
func TestFunctionSettings(t *testing.T) {
	byDesc := map[string]Resource{}
	for _, part := range []string{"Primary", "Standby"} {
		for _, f := range stack(t, "UmlImages-prod-"+part).ours() {
			byDesc[part+" "+f.Properties["Description"].(string)] = f
		}
	}
	for _, part := range []string{"Primary", "Standby"} {
		render := byDesc[part+" UML Images render"].Properties
		if render["Timeout"].(float64) >= 29 || render["VpcConfig"] == nil {
			t.Errorf("%s render: timeout %v, vpc %v", part, render["Timeout"], render["VpcConfig"])
		}
		has(t, part+" render environment", render["Environment"], `"KROKI_URL"`, `"CACHE_BUCKET"`, `"KROKI_VERSION":"0.32.1"`)
		if byDesc[part+" UML Images healthprobe"].Properties["DeadLetterConfig"] == nil {
			t.Errorf("%s healthprobe has no dead-letter queue", part)
		}
	}
	for _, name := range []string{"Primary UML Images backup", "Standby UML Images backup", "Standby UML Images failover"} {
		f, ok := byDesc[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if r := f.Properties["ReservedConcurrentExecutions"]; r != 1.0 {
			t.Errorf("%s reserved concurrency %v, want 1", name, r)
		}
		if f.Properties["DeadLetterConfig"] == nil {
			t.Errorf("%s has no dead-letter queue", name)
		}
	}
	logs := 0
	for _, lg := range stack(t, "UmlImages-prod-Primary").ofType("AWS::Logs::LogGroup") {
		if lg.Properties["RetentionInDays"] == 30.0 {
			logs++
		}
	}
	if logs < 3 {
		t.Errorf("%d log groups with 30-day retention, want one per function at least", logs)
	}
}

// TestEveryFunctionStarts: each function's configuration, loaded with that
// function's own loader from the environment every synthesized template
// gives it (intrinsics replaced by plausible values), is valid: no
// function exits at start in any environment.
func TestEveryFunctionStarts(t *testing.T) {
	loaders := map[string]func(func(string) string) error{
		"UML Images render":      func(g func(string) string) error { _, err := config.LoadRender(g); return err },
		"UML Images backup":      func(g func(string) string) error { _, err := config.LoadBackup(g); return err },
		"UML Images healthprobe": func(g func(string) string) error { _, err := config.LoadProbe(g); return err },
		"UML Images failover":    func(g func(string) string) error { _, err := config.LoadFailover(g); return err },
	}
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			region := *tpl.Stack.Region()
			for id, f := range tpl.ours() {
				desc, _ := f.Properties["Description"].(string)
				load, ok := loaders[desc]
				if !ok {
					t.Errorf("%s %s: no loader for %q", tpl.Name, id, desc)
					continue
				}
				vars := map[string]string{config.EnvLambdaRuntimeAPI: "127.0.0.1:9001", "AWS_REGION": region}
				if e, ok := f.Properties["Environment"].(map[string]any); ok {
					for k, v := range e["Variables"].(map[string]any) {
						vars[k] = plausible(v, region)
					}
				}
				if err := load(func(k string) string { return vars[k] }); err != nil {
					t.Errorf("%s %s would exit at start: %v", tpl.Name, desc, err)
				}
			}
		}
	}
}
