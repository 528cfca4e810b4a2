package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/config"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadRenderDefaults(t *testing.T) {
	c, err := config.LoadRender(getenv(map[string]string{
		config.EnvKrokiURL:    "http://kroki.internal:8000/",
		config.EnvCacheBucket: "cache",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.KrokiURL != "http://kroki.internal:8000" || c.MaxSourceBytes != 1<<20 || c.RenderTimeout != 25*time.Second ||
		c.ListenAddr != "127.0.0.1:9001" || c.MaxInlineBytes != 0 || c.InLambda || len(c.EnabledTypes) != 30 {
		t.Errorf("defaults: %+v", c)
	}
	c, err = config.LoadRender(getenv(map[string]string{
		config.EnvKrokiURL:         "http://kroki",
		config.EnvCacheBucket:      "cache",
		config.EnvLambdaRuntimeAPI: "127.0.0.1:9001",
		config.EnvEnabledTypes:     "graphviz, dot,plantuml",
		config.EnvRenderTimeout:    "20s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.InLambda || c.MaxInlineBytes != config.DefaultMaxInlineBytes || c.RenderTimeout != 20*time.Second || len(c.EnabledTypes) != 2 {
		t.Errorf("lambda settings: %+v", c)
	}
}

func TestLoadRenderReportsEveryProblem(t *testing.T) {
	_, err := config.LoadRender(getenv(map[string]string{
		config.EnvKrokiURL:         "ftp://x",
		config.EnvMaxSourceBytes:   "lots",
		config.EnvRenderTimeout:    "30s",
		config.EnvEnabledTypes:     "graphviz,nope",
		config.EnvS3ForcePathStyle: "maybe",
		config.EnvLogLevel:         "loud",
		config.EnvPublicBaseURL:    "not a url",
	}))
	if err == nil {
		t.Fatal("got nil error")
	}
	for _, want := range []string{
		config.EnvKrokiURL, config.EnvCacheBucket + " is required", config.EnvMaxSourceBytes, config.EnvRenderTimeout,
		`unknown diagram type "nope"`, config.EnvS3ForcePathStyle, config.EnvLogLevel, config.EnvPublicBaseURL,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestFailoverWithoutZone: an environment without a domain runs the
// failover in its advising mode; a half-configured switch is an error
// naming what is missing.
func TestFailoverWithoutZone(t *testing.T) {
	base := map[string]string{
		config.EnvPrimaryProbeURL: "https://primary.example/", config.EnvStandbyProbeURL: "https://standby.example/",
		config.EnvStateBucket: "state",
	}
	get := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	c, err := config.LoadFailover(get(nil))
	if err != nil || c.HostedZoneID != "" {
		t.Fatalf("no zone: %+v, %v", c, err)
	}
	_, err = config.LoadFailover(get(map[string]string{config.EnvHostedZoneID: "Z1", config.EnvRecordName: "origin.example"}))
	if err == nil || !strings.Contains(err.Error(), config.EnvPrimaryTarget) || !strings.Contains(err.Error(), config.EnvStandbyTarget) {
		t.Errorf("half a switch: %v", err)
	}
	if _, err := config.LoadFailover(get(map[string]string{config.EnvHostedZoneID: "Z1", config.EnvRecordName: "origin.example",
		config.EnvPrimaryTarget: "a", config.EnvStandbyTarget: "b"})); err != nil {
		t.Errorf("a whole switch: %v", err)
	}
}

func TestBackupPrefixes(t *testing.T) {
	base := map[string]string{config.EnvSourceBucket: "data", config.EnvBackupBucket: "vault"}
	get := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	c, err := config.LoadBackup(get(nil))
	if err != nil || strings.Join(c.Prefixes, ",") != "failover/,diagrams/" {
		t.Errorf("default: %v, %v", c.Prefixes, err)
	}
	c, err = config.LoadBackup(get(map[string]string{config.EnvBackupPrefixes: "diagrams/, renders/"}))
	if err != nil || strings.Join(c.Prefixes, ",") != "failover/,diagrams/,renders/" {
		t.Errorf("with renders: %v, %v", c.Prefixes, err)
	}
	if _, err := config.LoadBackup(get(map[string]string{config.EnvBackupPrefixes: "renders"})); err == nil {
		t.Error("a prefix without its slash accepted")
	}
}
