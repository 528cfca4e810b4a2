package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NewMonitor builds the global view, in us-east-1 where CloudFront's and
// the web ACL's metrics are: their alarms on their own topics, and one
// dashboard of the edge and both regions' probe verdicts.
func NewMonitor(scope constructs.Construct, id string, e Env, dist awscloudfront.IDistribution) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	alerts := NewAlerts(c, "Alerts", e, "global")
	cdn := func(name, statistic string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/CloudFront"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{"DistributionId": dist.DistributionId(), "Region": jsii.String("Global")},
			Period:        minute, Statistic: jsii.String(statistic),
		})
	}
	waf := func(name string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/WAFV2"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{"WebACL": jsii.String(e.prefix() + "-waf"), "Rule": jsii.String("ALL")},
			Period:        awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
		})
	}
	where := e.Name + " global"
	errors := alarm{id: "CdnErrorRate", critical: true, priority: "P1", runbook: "cdn-errors",
		what: "CloudFront's 5xx rate over 5 % for 5 minutes", metric: cdn("5xxErrorRate", "Average"), threshold: 5, periods: 5}
	// The web ACL's rate rule blocks one address at e.WAFRateLimit requests
	// per 5 minutes: ten times that, blocked, is well above normal.
	blocks := alarm{id: "WafBlocks", priority: "P3", runbook: "waf-blocks",
		what: "the web ACL blocked over ten times its per-address rate limit in 5 minutes", metric: waf("BlockedRequests"),
		threshold: 10 * e.WAFRateLimit, periods: 1}
	addAlarm(c, where, alerts, errors)
	addAlarm(c, where, alerts, blocks)

	graph := func(title string, a *alarm, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		props := &awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8)}
		if a != nil {
			props.LeftAnnotations = &[]*awscloudwatch.HorizontalAnnotation{{Value: jsii.Number(a.threshold), Label: jsii.String(a.what)}}
		}
		return awscloudwatch.NewGraphWidget(props)
	}
	probe := func(from, target string) awscloudwatch.IMetric {
		m := probeMetric(target)
		return m.With(&awscloudwatch.MetricOptions{Region: jsii.String(from), Label: jsii.String(target + ", seen from " + from)})
	}
	dash := awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{DashboardName: jsii.String(e.prefix() + "-global")})
	dash.AddWidgets(
		graph("CloudFront requests", nil, cdn("Requests", "Sum")),
		graph("CloudFront 5xx rate (%)", &errors, cdn("5xxErrorRate", "Average"), cdn("4xxErrorRate", "Average")),
		graph("Web ACL: allowed and blocked (5 min)", &blocks, waf("AllowedRequests"), waf("BlockedRequests")),
	)
	dash.AddWidgets(graph("Probe verdicts (1: pass)", nil,
		probe(e.PrimaryRegion, primaryRole), probe(e.PrimaryRegion, standbyRole), probe(e.StandbyRegion, primaryRole), probe(e.StandbyRegion, standbyRole)))
}
