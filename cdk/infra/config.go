// Package infra is the whole system as AWS CDK constructs, one file per
// concern (network, kroki, data, api, cdn, ops, dns), composed into stacks
// by NewSystem: per environment an edge stack in us-east-1 (WAF, what
// CloudFront requires there), a standby regional stack and a primary
// regional stack.
package infra

import (
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
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
	KrokiReplicas  int     // Fargate tasks per region (the replaced service's API_REPLICAS)
	KrokiMaxTasks  int     // autoscaling ceiling
	KrokiCPU       float64 // vCPU per task
	KrokiMemoryMiB float64
	RenderMemoryMB float64
	ThrottleRate   float64 // API Gateway steady requests/s
	ThrottleBurst  float64
	WAFRateLimit   float64 // requests per 5 minutes per IP
	AlarmEmail     string
	// SlackWorkspaceID and SlackChannelID send both alarm topics to a
	// Slack channel through AWS Chatbot (the workspace authorized in the
	// Chatbot console once); PagerDutySecretName names a Secrets Manager
	// secret holding PagerDuty's events integration URL, which the
	// critical topic calls. Each is optional.
	SlackWorkspaceID    string
	SlackChannelID      string
	PagerDutySecretName string
	// GitHubRepository (owner/name) makes the deploy role its workflows
	// assume (none without it); GitHubOIDCProviderARN reuses the account's
	// GitHub OIDC provider instead of creating one (an account holds one).
	GitHubRepository      string
	GitHubOIDCProviderARN string
	// UIAPIBaseURL is where the editor calls the API; empty: its own origin.
	UIAPIBaseURL string
	// Retain keeps data buckets when the stack is deleted.
	Retain bool
	// RenderExpiryDays is how long renders stay in the data bucket (0:
	// 365 days).
	RenderExpiryDays int
	// BackupLockMode is the backups' Object Lock mode: GOVERNANCE (0
	// value) or COMPLIANCE (not even the account's root can shorten it).
	BackupLockMode string
}

func (e Env) renderExpiryDays() int {
	if e.RenderExpiryDays == 0 {
		return 365
	}
	return e.RenderExpiryDays
}

// Environments is the one table of environments, with defaults only: no
// domain, zone, account or e-mail (each deployment gives its own as CDK
// context, see Configure). The production figures of docs/operations.md: 3 replicas,
// 1 vCPU, 1 GiB.
var Environments = map[string]Env{
	"dev": {
		Name: "dev", PrimaryRegion: "eu-west-1", StandbyRegion: "eu-central-1",
		KrokiReplicas: 1, KrokiMaxTasks: 2, KrokiCPU: 0.5, KrokiMemoryMiB: 1024, RenderMemoryMB: 512,
		ThrottleRate: 50, ThrottleBurst: 100, WAFRateLimit: 1000,
	},
	"staging": {
		Name: "staging", PrimaryRegion: "eu-west-1", StandbyRegion: "eu-central-1",
		KrokiReplicas: 2, KrokiMaxTasks: 4, KrokiCPU: 1, KrokiMemoryMiB: 1024, RenderMemoryMB: 1024,
		ThrottleRate: 200, ThrottleBurst: 400, WAFRateLimit: 2000,
	},
	"prod": {
		Name: "prod", PrimaryRegion: "eu-west-1", StandbyRegion: "eu-central-1",
		KrokiReplicas: 3, KrokiMaxTasks: 9, KrokiCPU: 1, KrokiMemoryMiB: 1024, RenderMemoryMB: 1024,
		ThrottleRate: 500, ThrottleBurst: 1000, WAFRateLimit: 2000, Retain: true,
	},
}

// ContextKeys are the per-deployment settings, given as CDK context (`-c
// key=value`, cdk.json or cdk.context.json); each overrides the table.
var ContextKeys = []string{"env", "account", "primaryRegion", "standbyRegion", "domain", "hostedZoneId", "hostedZoneName", "alarmEmail",
	"slackWorkspaceId", "slackChannelId", "pagerDutySecretName", "githubRepository", "githubOidcProviderArn"}

// Configure returns the environments to synthesize: the one named by the
// context key env with every other key applied, or, without env, every
// environment of the table as it stands (other keys are then an error:
// they would apply to all of them).
func Configure(context func(key string) string) ([]Env, error) {
	name := context("env")
	if name == "" {
		for _, k := range ContextKeys[1:] {
			if context(k) != "" {
				return nil, fmt.Errorf("context %s applies to one environment: give -c env=<dev|staging|prod> with it", k)
			}
		}
		var all []Env
		for _, n := range names() {
			all = append(all, Environments[n])
		}
		return all, nil
	}
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	for key, field := range map[string]*string{
		"account": &e.Account, "primaryRegion": &e.PrimaryRegion, "standbyRegion": &e.StandbyRegion, "domain": &e.Domain,
		"hostedZoneId": &e.HostedZoneID, "hostedZoneName": &e.HostedZoneName, "alarmEmail": &e.AlarmEmail,
		"slackWorkspaceId": &e.SlackWorkspaceID, "slackChannelId": &e.SlackChannelID, "pagerDutySecretName": &e.PagerDutySecretName,
		"githubRepository": &e.GitHubRepository, "githubOidcProviderArn": &e.GitHubOIDCProviderARN,
	} {
		if v := strings.TrimSpace(context(key)); v != "" {
			*field = v
		}
	}
	e.Domain = strings.TrimSuffix(strings.ToLower(e.Domain), ".")
	e.HostedZoneName = strings.TrimSuffix(strings.ToLower(e.HostedZoneName), ".")
	return []Env{e}, e.Validate()
}

// Validate reports every inconsistency of an environment's settings, each
// naming its context keys.
func (e Env) Validate() error {
	var errs []error
	zone := e.HostedZoneID != "" || e.HostedZoneName != ""
	switch {
	case e.Domain != "" && !zone:
		errs = append(errs, fmt.Errorf("%s: domain %q needs its hosted zone: set hostedZoneId and hostedZoneName", e.Name, e.Domain))
	case e.Domain == "" && zone:
		errs = append(errs, fmt.Errorf("%s: hostedZoneId/hostedZoneName are set but domain is not: set domain, or neither", e.Name))
	case zone && (e.HostedZoneID == "" || e.HostedZoneName == ""):
		errs = append(errs, fmt.Errorf("%s: hostedZoneId and hostedZoneName go together", e.Name))
	case e.Domain != "" && e.Domain != e.HostedZoneName && !strings.HasSuffix(e.Domain, "."+e.HostedZoneName):
		errs = append(errs, fmt.Errorf("%s: domain %q is not inside hostedZoneName %q", e.Name, e.Domain, e.HostedZoneName))
	}
	if e.PrimaryRegion == "" || e.StandbyRegion == "" || e.PrimaryRegion == e.StandbyRegion {
		errs = append(errs, fmt.Errorf("%s: primaryRegion %q and standbyRegion %q must be two different regions", e.Name, e.PrimaryRegion, e.StandbyRegion))
	}
	if e.GitHubRepository != "" && !githubRepository.MatchString(e.GitHubRepository) {
		errs = append(errs, fmt.Errorf("%s: githubRepository %q is not owner/name", e.Name, e.GitHubRepository))
	}
	if (e.SlackWorkspaceID == "") != (e.SlackChannelID == "") {
		errs = append(errs, fmt.Errorf("%s: slackWorkspaceId and slackChannelId go together", e.Name))
	}
	if e.AlarmEmail != "" {
		if _, err := mail.ParseAddress(e.AlarmEmail); err != nil {
			errs = append(errs, fmt.Errorf("%s: alarmEmail %q is not an e-mail address", e.Name, e.AlarmEmail))
		}
	}
	if e.Account != "" && (len(e.Account) != 12 || strings.Trim(e.Account, "0123456789") != "") {
		errs = append(errs, fmt.Errorf("%s: account %q is not a 12-digit AWS account id", e.Name, e.Account))
	}
	return errors.Join(errs...)
}

func names() []string {
	var out []string
	for n := range Environments {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns an environment by name.
func Lookup(name string) (Env, error) {
	e, ok := Environments[name]
	if !ok {
		return Env{}, fmt.Errorf("unknown environment %q (one of %v)", name, names())
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
