package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
)

// NewFirewall builds the web ACL CloudFront uses (it must live in
// us-east-1): a rate limit per client IP and AWS's common and known-bad-
// input rule sets. The common set's 8 KB body rule only counts: diagram
// POSTs are bigger by nature, and the render API enforces its own 1 MiB
// limit.
func NewFirewall(scope constructs.Construct, id string, e Env) awswafv2.CfnWebACL {
	visibility := func(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true), SampledRequestsEnabled: jsii.Bool(true), MetricName: jsii.String(name),
		}
	}
	managed := func(priority float64, name string, overrides []*awswafv2.CfnWebACL_RuleActionOverrideProperty) *awswafv2.CfnWebACL_RuleProperty {
		return &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(name), Priority: jsii.Number(priority),
			OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
				VendorName: jsii.String("AWS"), Name: jsii.String(name), RuleActionOverrides: &overrides,
			}},
			VisibilityConfig: visibility(name),
		}
	}
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
			managed(1, "AWSManagedRulesCommonRuleSet", []*awswafv2.CfnWebACL_RuleActionOverrideProperty{{
				Name: jsii.String("SizeRestrictions_BODY"), ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: map[string]any{}},
			}}),
			managed(2, "AWSManagedRulesKnownBadInputsRuleSet", nil),
		},
	})
}

// CDNProps configure the distribution.
type CDNProps struct {
	Env Env
	// API is the render API's origin domain: the failover name, or the
	// primary region's API when there is no domain.
	APIOrigin awscloudfront.IOrigin
	UI        awss3.IBucket
	// Renders is the cache bucket: oversized renders redirect to /renders/.
	Renders   awss3.IBucket
	Logs      awss3.IBucket
	WebACLArn *string
	// Certificate is the domain's certificate (us-east-1), if any.
	Certificate awscertificatemanager.ICertificate
}

// NewCDN builds the one distribution: the render API by default (cached by
// path and query; 5xx never kept more than 10 s), the UI from its bucket
// through OAC, security headers on everything, access logs, TLS 1.2+.
func NewCDN(scope constructs.Construct, id string, p CDNProps) awscloudfront.Distribution {
	c := constructs.NewConstruct(scope, jsii.String(id))
	apiCache := awscloudfront.NewCachePolicy(c, jsii.String("RenderCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("renders: path and query are the key; Accept picks the error form"),
		DefaultTtl:                 awscdk.Duration_Days(jsii.Number(1)),
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(365)),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		QueryStringBehavior:        awscloudfront.CacheQueryStringBehavior_All(),
		HeaderBehavior:             awscloudfront.CacheHeaderBehavior_AllowList(jsii.String("Accept")),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
	headers := awscloudfront.NewResponseHeadersPolicy(c, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("HSTS, nosniff, frame options, referrer policy, and a CSP for the UI"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)), IncludeSubdomains: jsii.Bool(true), Preload: jsii.Bool(true), Override: jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions:       &awscloudfront.ResponseHeadersFrameOptions{FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			ReferrerPolicy:     &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true)},
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(config.UIContentSecurityPolicy),
				Override:              jsii.Bool(false),
			},
		},
	})
	uiOrigin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(p.UI, nil)
	ui := &awscloudfront.BehaviorOptions{
		Origin:                uiOrigin,
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
		CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
		ResponseHeadersPolicy: headers,
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
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			"/index.html":  ui,
			"/config.json": ui,
			"/assets/*":    ui,
			"/renders/*": {
				Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(p.Renders, nil),
				ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
				CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
				ResponseHeadersPolicy: headers,
			},
		},
		DefaultRootObject: jsii.String("index.html"),
		WebAclId:          p.WebACLArn,
		EnableLogging:     jsii.Bool(true),
		LogBucket:         p.Logs,
		LogFilePrefix:     jsii.String("cloudfront/"),
		HttpVersion:       awscloudfront.HttpVersion_HTTP2_AND_3,
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
