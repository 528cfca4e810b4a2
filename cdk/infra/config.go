// Package infra is the whole system as AWS CDK constructs, one file per
// concern (network, kroki, data, api, cdn, ops, dns), composed into stacks
// by NewSystem: per environment an edge stack in us-east-1 (WAF, what
// CloudFront requires there), a standby regional stack and a primary
// regional stack.
package infra

import (
	"fmt"
	"sort"
)

// KrokiVersion is the pinned Kroki release (0.32.1 fixed the 2026 safe-mode
// bypasses). It is also part of the render cache key.
const KrokiVersion = "0.32.1"

// Env is one environment's settings.
type Env struct {
	Name string
	// Account is the AWS account; empty: the CLI's (CDK_DEFAULT_ACCOUNT).
	Account        string
	PrimaryRegion  string
	StandbyRegion  string
	Domain         string // public name; empty: the CloudFront domain only
	HostedZoneID   string // the zone holding Domain; empty: no records
	HostedZoneName string
	KrokiReplicas  int     // Fargate tasks per region (the guide's API_REPLICAS)
	KrokiMaxTasks  int     // autoscaling ceiling
	KrokiCPU       float64 // vCPU per task
	KrokiMemoryMiB float64
	RenderMemoryMB float64
	ThrottleRate   float64 // API Gateway steady requests/s
	ThrottleBurst  float64
	WAFRateLimit   float64 // requests per 5 minutes per IP
	AlarmEmail     string
	// UIAPIBaseURL is where the editor calls the API; empty: its own origin.
	UIAPIBaseURL string
	// Retain keeps data buckets when the stack is deleted.
	Retain bool
}

// Environments is the one table of environments. The guide's production
// figures: 3 replicas, 1 vCPU, 1 GiB.
var Environments = map[string]Env{
	"dev": {
		Name: "dev", PrimaryRegion: "eu-west-1", StandbyRegion: "eu-central-1",
		KrokiReplicas: 1, KrokiMaxTasks: 2, KrokiCPU: 0.5, KrokiMemoryMiB: 1024, RenderMemoryMB: 512,
		ThrottleRate: 50, ThrottleBurst: 100, WAFRateLimit: 1000,
	},
	"staging": {
		Name: "staging", PrimaryRegion: "eu-west-1", StandbyRegion: "eu-central-1",
		Domain: "diagrams-staging.example.com", HostedZoneID: "Z0000000000STAGING", HostedZoneName: "example.com",
		KrokiReplicas: 2, KrokiMaxTasks: 4, KrokiCPU: 1, KrokiMemoryMiB: 1024, RenderMemoryMB: 1024,
		ThrottleRate: 200, ThrottleBurst: 400, WAFRateLimit: 2000, AlarmEmail: "oncall-staging@example.com",
	},
	"prod": {
		Name: "prod", PrimaryRegion: "eu-west-1", StandbyRegion: "eu-central-1",
		Domain: "diagrams.example.com", HostedZoneID: "Z00000000000000PROD", HostedZoneName: "example.com",
		KrokiReplicas: 3, KrokiMaxTasks: 9, KrokiCPU: 1, KrokiMemoryMiB: 1024, RenderMemoryMB: 1024,
		ThrottleRate: 500, ThrottleBurst: 1000, WAFRateLimit: 2000, AlarmEmail: "oncall@example.com", Retain: true,
	},
}

// Lookup returns an environment by name.
func Lookup(name string) (Env, error) {
	e, ok := Environments[name]
	if !ok {
		var names []string
		for n := range Environments {
			names = append(names, n)
		}
		sort.Strings(names)
		return Env{}, fmt.Errorf("unknown environment %q (one of %v)", name, names)
	}
	return e, nil
}

// OriginName is the name the failover function switches: CloudFront's API
// origin, pointing at the active region.
func (e Env) OriginName() string {
	if e.Domain == "" {
		return ""
	}
	return "origin." + e.Domain
}

func (e Env) prefix() string { return "uml-images-" + e.Name }
