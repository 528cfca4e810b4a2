package infra

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
)

// NewFirewall builds the web ACL CloudFront uses (it must live in
// us-east-1): a rate limit per client IP, AWS's core and known-bad-input
// rule sets, and limits of our own on the render routes.
//
// The core rule set blocks URI paths over 1,024 bytes and request bodies
// over 8 KB, and its body rules (cross-site scripting, local and remote
// file inclusion, metadata-address SSRF) match ordinary diagram sources:
// HTML labels, "../", 169.254.169.254 in a network diagram. Those six
// rules only count; a later rule blocks on their labels off the render
// routes, as AWS documents for managed rules ("override the rule group
// rules to count matches, and then run a rule after the rule group that
// handles the web request based on the rule group labels":
// https://docs.aws.amazon.com/waf/latest/developerguide/waf-labels.html;
// the labels: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html).
// On the render routes the URI may be as long as Kroki takes (16 KiB), and
// the body as large as the source limit, read from Content-Length: WAF
// itself sees at most the first 16 KB of a body behind CloudFront
// (https://docs.aws.amazon.com/waf/latest/developerguide/waf-oversize-request-components.html);
// the render function enforces the limit on the bytes it receives.
func NewFirewall(scope constructs.Construct, id string, e Env) awswafv2.CfnWebACL {
	visibility := func(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true), SampledRequestsEnabled: jsii.Bool(true), MetricName: jsii.String(name),
		}
	}
	managed := func(priority float64, name string, count []string) *awswafv2.CfnWebACL_RuleProperty {
		overrides := []*awswafv2.CfnWebACL_RuleActionOverrideProperty{}
		for _, rule := range count {
			overrides = append(overrides, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name: jsii.String(rule), ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: map[string]any{}},
			})
		}
		return &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(name), Priority: jsii.Number(priority),
			OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
				VendorName: jsii.String("AWS"), Name: jsii.String(name), RuleActionOverrides: &overrides,
			}},
			VisibilityConfig: visibility(name),
		}
	}
	block := func(priority float64, name string, statements ...*awswafv2.CfnWebACL_StatementProperty) *awswafv2.CfnWebACL_RuleProperty {
		all := make([]any, len(statements))
		for i, s := range statements {
			all[i] = s
		}
		return &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(name), Priority: jsii.Number(priority),
			Action:           &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}},
			Statement:        &awswafv2.CfnWebACL_StatementProperty{AndStatement: &awswafv2.CfnWebACL_AndStatementProperty{Statements: &all}},
			VisibilityConfig: visibility(name),
		}
	}
	renderRoute := &awswafv2.CfnWebACL_StatementProperty{RegexMatchStatement: &awswafv2.CfnWebACL_RegexMatchStatementProperty{
		FieldToMatch: &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}},
		RegexString:  jsii.String(RenderRoutePattern()),
		TextTransformations: &[]any{&awswafv2.CfnWebACL_TextTransformationProperty{
			Priority: jsii.Number(0), Type: jsii.String("LOWERCASE"),
		}},
	}}
	var labels []any
	for _, l := range coreRulesCounted {
		labels = append(labels, &awswafv2.CfnWebACL_StatementProperty{LabelMatchStatement: &awswafv2.CfnWebACL_LabelMatchStatementProperty{
			Scope: jsii.String("LABEL"), Key: jsii.String("awswaf:managed:aws:core-rule-set:" + l.label),
		}})
	}
	var counted []string
	for _, l := range coreRulesCounted {
		counted = append(counted, l.rule)
	}
	none := &[]any{&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(0), Type: jsii.String("NONE")}}
	return awswafv2.NewCfnWebACL(scope, jsii.String(id), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("CLOUDFRONT"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		VisibilityConfig: visibility(e.prefix() + "-waf"),
		Rules: &[]any{
			&awswafv2.CfnWebACL_RuleProperty{
				Name: jsii.String("rate-limit-per-ip"), Priority: jsii.Number(0),
				Action: &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}},
				Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
					Limit: jsii.Number(e.WAFRateLimit), AggregateKeyType: jsii.String("IP"),
				}},
				VisibilityConfig: visibility("rate-limit-per-ip"),
			},
			managed(1, "AWSManagedRulesCommonRuleSet", counted),
			managed(2, "AWSManagedRulesKnownBadInputsRuleSet", nil),
			block(3, "render-uri-size", renderRoute, &awswafv2.CfnWebACL_StatementProperty{SizeConstraintStatement: &awswafv2.CfnWebACL_SizeConstraintStatementProperty{
				FieldToMatch:       &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}},
				ComparisonOperator: jsii.String("GT"), Size: jsii.Number(maxURIBytes), TextTransformations: none,
			}}),
			block(4, "render-body-size", renderRoute, &awswafv2.CfnWebACL_StatementProperty{RegexMatchStatement: &awswafv2.CfnWebACL_RegexMatchStatementProperty{
				FieldToMatch: &awswafv2.CfnWebACL_FieldToMatchProperty{SingleHeader: map[string]any{"Name": "content-length"}},
				RegexString:  jsii.String(greaterThan(config.DefaultMaxSourceBytes)), TextTransformations: none,
			}}),
			block(5, "core-rules-off-render-routes",
				&awswafv2.CfnWebACL_StatementProperty{NotStatement: &awswafv2.CfnWebACL_NotStatementProperty{Statement: renderRoute}},
				&awswafv2.CfnWebACL_StatementProperty{OrStatement: &awswafv2.CfnWebACL_OrStatementProperty{Statements: &labels}}),
		},
	})
}

// coreRulesCounted are the core rule set's rules that count on the render
// routes, with the labels they add.
var coreRulesCounted = []struct{ rule, label string }{
	{"SizeRestrictions_URIPATH", "SizeRestrictions_URIPath"},
	{"SizeRestrictions_BODY", "SizeRestrictions_Body"},
	{"CrossSiteScripting_BODY", "CrossSiteScripting_Body"},
	{"GenericLFI_BODY", "GenericLFI_Body"},
	{"GenericRFI_BODY", "GenericRFI_Body"},
	{"EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body"},
}

// maxURIBytes is the longest render URI, Kroki's KROKI_MAX_URI_LENGTH.
const maxURIBytes = 16384

// RenderRoutePattern matches the render API's routes in a lower-cased URI
// path: POST /, /{type}[/{format}[/{encoded}]], /d/{id}[/{format}] and
// POST /v1/diagrams, for every diagram type and alias.
func RenderRoutePattern() string {
	var names []string
	for _, t := range diagram.Types() {
		names = append(names, t.Name)
		names = append(names, t.Aliases...)
	}
	return "^/((" + strings.Join(names, "|") + ")(/[a-z0-9]+(/[^/]*)?)?|d/[a-z0-9_-]+(/[a-z0-9]+)?|v1/diagrams)?/?$"
}

// greaterThan is a regular expression matching the decimal numbers above
// n (leading zeros allowed), for a Content-Length header.
func greaterThan(n int) string {
	s := strconv.Itoa(n)
	alts := []string{fmt.Sprintf("[1-9][0-9]{%d,}", len(s))}
	for i := 0; i < len(s); i++ {
		if s[i] == '9' {
			continue
		}
		alt := s[:i] + "[" + string(s[i]+1) + "-9]"
		if rest := len(s) - i - 1; rest > 0 {
			alt += fmt.Sprintf("[0-9]{%d}", rest)
		}
		alts = append(alts, alt)
	}
	return "^0*(" + strings.Join(alts, "|") + ")$"
}

// CDNProps configure the distribution.
type CDNProps struct {
	Env Env
	// APIOrigin is the render API's origin: the failover name, or the
	// primary region's stage when there is no domain. It carries the
	// origin lock's header.
	APIOrigin awscloudfront.IOrigin
	// UI is the editor's bucket, StandbyUI its copy in the standby region.
	UI, StandbyUI awss3.IBucket
	// Renders is the cache bucket (oversized renders redirect to
	// /renders/), StandbyRenders the standby's.
	Renders, StandbyRenders awss3.IBucket
	Logs                    awss3.IBucket
	WebACLArn               *string
	// Certificate is the domain's certificate (us-east-1), if any.
	Certificate awscertificatemanager.ICertificate
}

// NewCDN builds the one distribution: the render API by default (cached by
// path, query and Accept class, after the viewer-request function; 5xx
// never kept), the editor from its bucket through OAC (at / by that
// function: no default root object, which CloudFront would apply to
// POST / as well, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html),
// security headers (framing denied on the editor only; the SVG sandbox on
// /renders/), access logs, TLS 1.2+.
func NewCDN(scope constructs.Construct, id string, p CDNProps) awscloudfront.Distribution {
	c := constructs.NewConstruct(scope, jsii.String(id))
	apiCache := awscloudfront.NewCachePolicy(c, jsii.String("RenderCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("renders: path, query (options folded in) and the Accept class are the key"),
		DefaultTtl:                 awscdk.Duration_Days(jsii.Number(1)),
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(365)),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		QueryStringBehavior:        awscloudfront.CacheQueryStringBehavior_All(),
		HeaderBehavior:             awscloudfront.CacheHeaderBehavior_AllowList(jsii.String("Accept")),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
	uiCache := awscloudfront.NewCachePolicy(c, jsii.String("UiCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("the editor: as the objects say (page no-cache, hashed assets immutable)"),
		DefaultTtl:                 awscdk.Duration_Days(jsii.Number(1)),
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(365)),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
	headers := func(name, comment string, frames bool, csp string) awscloudfront.ResponseHeadersPolicy {
		sec := &awscloudfront.ResponseSecurityHeadersBehavior{
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)), IncludeSubdomains: jsii.Bool(true), Preload: jsii.Bool(true), Override: jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			ReferrerPolicy:     &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true)},
		}
		if frames {
			sec.FrameOptions = &awscloudfront.ResponseHeadersFrameOptions{FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)}
		}
		if csp != "" {
			sec.ContentSecurityPolicy = &awscloudfront.ResponseHeadersContentSecurityPolicy{ContentSecurityPolicy: jsii.String(csp), Override: jsii.Bool(true)}
		}
		return awscloudfront.NewResponseHeadersPolicy(c, jsii.String(name), &awscloudfront.ResponseHeadersPolicyProps{
			Comment: jsii.String(comment), SecurityHeadersBehavior: sec,
		})
	}
	uiHeaders := headers("UiHeaders", "the editor: HSTS, nosniff, no framing, referrer policy, the UI's CSP", true, config.UIContentSecurityPolicy)
	apiHeaders := headers("ApiHeaders", "the render API: HSTS, nosniff, referrer policy; renders stay embeddable, SVGs carry their own sandbox", false, "")
	renderHeaders := headers("RenderHeaders", "oversized renders: HSTS, nosniff, referrer policy, the SVG sandbox", false, config.SVGContentSecurityPolicy)
	edgeFunction := func(name, file, comment string) awscloudfront.Function {
		code, err := EdgeFunctionCode(file)
		if err != nil {
			panic(err)
		}
		return awscloudfront.NewFunction(c, jsii.String(name), &awscloudfront.FunctionProps{
			Code: awscloudfront.FunctionCode_FromInline(jsii.String(code)), Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
			Comment: jsii.String(comment),
		})
	}
	viewerRequest := edgeFunction("ViewerRequest", "viewer-request.js", "fold Kroki option headers into the query, class Accept, the editor at GET /")
	viewerResponse := edgeFunction("ViewerResponse", "viewer-response.js", "the editor's page served at / gets the UI's headers")
	uiOrigin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(p.UI, &awscloudfrontorigins.S3BucketOriginWithOACProps{
		OriginId: jsii.String(uiOriginID),
	})
	// Origin groups fail over per request, in the data plane: no DNS
	// change, no control plane. Only GET, HEAD and OPTIONS behaviours may
	// use one, so the API (POST) moves by the Route 53 switch instead:
	// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html
	serverErrors := &[]*float64{jsii.Number(500), jsii.Number(502), jsii.Number(503), jsii.Number(504)}
	uiGroup := awscloudfrontorigins.NewOriginGroup(&awscloudfrontorigins.OriginGroupProps{
		PrimaryOrigin:       uiOrigin,
		FallbackOrigin:      awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(p.StandbyUI, nil),
		FallbackStatusCodes: serverErrors,
	})
	// Renders are content-addressed and made by whichever region served
	// the request, so a render missing from the primary's bucket (403/404)
	// is looked for in the standby's too.
	rendersGroup := awscloudfrontorigins.NewOriginGroup(&awscloudfrontorigins.OriginGroupProps{
		PrimaryOrigin:  awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(p.Renders, nil),
		FallbackOrigin: awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(p.StandbyRenders, nil),
		FallbackStatusCodes: &[]*float64{jsii.Number(403), jsii.Number(404), jsii.Number(500), jsii.Number(502),
			jsii.Number(503), jsii.Number(504)},
	})
	ui := &awscloudfront.BehaviorOptions{
		Origin:                uiGroup,
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
		CachePolicy:           uiCache,
		ResponseHeadersPolicy: uiHeaders,
		Compress:              jsii.Bool(true),
	}
	props := &awscloudfront.DistributionProps{
		Comment: jsii.String(p.Env.prefix() + ": render API and web UI"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                p.APIOrigin,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_ALL(),
			CachePolicy:           apiCache,
			OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			ResponseHeadersPolicy: apiHeaders,
			Compress:              jsii.Bool(true),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{
				{Function: viewerRequest, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST},
				{Function: viewerResponse, EventType: awscloudfront.FunctionEventType_VIEWER_RESPONSE},
			},
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			"/index.html":  ui,
			"/config.json": ui,
			"/assets/*":    ui,
			"/renders/*": {
				Origin:                rendersGroup,
				ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
				CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
				ResponseHeadersPolicy: renderHeaders,
			},
		},
		WebAclId:      p.WebACLArn,
		EnableLogging: jsii.Bool(true),
		LogBucket:     p.Logs,
		LogFilePrefix: jsii.String("cloudfront/"),
		HttpVersion:   awscloudfront.HttpVersion_HTTP2_AND_3,
		ErrorResponses: &[]*awscloudfront.ErrorResponse{
			{HttpStatus: jsii.Number(500), Ttl: awscdk.Duration_Seconds(jsii.Number(0))},
			{HttpStatus: jsii.Number(502), Ttl: awscdk.Duration_Seconds(jsii.Number(0))},
			{HttpStatus: jsii.Number(503), Ttl: awscdk.Duration_Seconds(jsii.Number(0))},
			{HttpStatus: jsii.Number(504), Ttl: awscdk.Duration_Seconds(jsii.Number(0))},
		},
	}
	if p.Certificate != nil && p.Env.Domain != "" {
		props.Certificate = p.Certificate
		props.DomainNames = jsii.Strings(p.Env.Domain)
		props.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	}
	return awscloudfront.NewDistribution(c, jsii.String("Distribution"), props)
}

// uiOriginID is the editor's origin, which the viewer-request function
// selects for GET /.
const uiOriginID = "ui"

// NewAPIOrigin is the render API as CloudFront's origin: the failover name
// (a domain), or the stage's execute-api host; either way with the origin
// lock's header. The stage URL is built from the API's id so that the
// distribution does not depend on the stage (whose function knows the
// distribution's name).
func NewAPIOrigin(e Env, api *API, secret string) awscloudfront.IOrigin {
	headers := &map[string]*string{config.OriginHeader: jsii.String(secret)}
	if e.Domain != "" {
		return awscloudfrontorigins.NewHttpOrigin(jsii.String(e.OriginName()), &awscloudfrontorigins.HttpOriginProps{
			ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY, CustomHeaders: headers,
		})
	}
	host := *api.Rest.RestApiId() + ".execute-api." + *awscdk.Stack_Of(api.Rest).Region() + "." + *awscdk.Aws_URL_SUFFIX()
	return awscloudfrontorigins.NewHttpOrigin(jsii.String(host), &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY, OriginPath: jsii.String("/" + stage), CustomHeaders: headers,
	})
}

//go:embed edge/*.js
var edgeFunctions embed.FS

// EdgeFunctionCode is a CloudFront Function's code, from edge/.
func EdgeFunctionCode(file string) (string, error) {
	b, err := edgeFunctions.ReadFile("edge/" + file)
	if err != nil {
		return "", err
	}
	csp, _ := json.Marshal(config.UIContentSecurityPolicy)
	return strings.ReplaceAll(string(b), "%UI_CSP%", string(csp)), nil
}
