package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
)

// APIProps configure the render API.
type APIProps struct {
	Env      Env
	BuildDir string
	Vpc      awsec2.IVpc
	Kroki    *Kroki
	Cache    awss3.IBucket
	// PublicBaseURL is where clients reach the API (CloudFront or the
	// domain), for links and redirects.
	PublicBaseURL string
}

// API is the render function behind a regional REST API.
type API struct {
	constructs.Construct
	Render *Function
	Rest   awsapigateway.LambdaRestApi
}

// NewAPI builds the render function (in the VPC: Kroki through the
// internal load balancer, S3 through the gateway endpoint) and the REST
// API: binary media types, throttling, JSON access logs, X-Ray.
func NewAPI(scope constructs.Construct, id string, p APIProps) *API {
	c := constructs.NewConstruct(scope, jsii.String(id))
	env := map[string]string{
		config.EnvKrokiURL:     p.Kroki.URL,
		config.EnvKrokiVersion: KrokiVersion,
		config.EnvCacheBucket:  *p.Cache.BucketName(),
	}
	if p.PublicBaseURL != "" {
		env[config.EnvPublicBaseURL] = p.PublicBaseURL
	}
	render := NewFunction(c, "Render", FunctionProps{
		Name: "render", BuildDir: p.BuildDir, Vpc: p.Vpc,
		Timeout:     awscdk.Duration_Seconds(jsii.Number(28)),
		MemoryMB:    p.Env.RenderMemoryMB,
		Environment: env,
	})
	p.Cache.GrantReadWrite(render.Fn, nil)
	p.Kroki.Service.LoadBalancer().Connections().AllowFrom(render.Fn, awsec2.Port_Tcp(jsii.Number(80)), jsii.String("the render function calls Kroki"))
	access := awslogs.NewLogGroup(c, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	rest := awsapigateway.NewLambdaRestApi(c, jsii.String("Rest"), &awsapigateway.LambdaRestApiProps{
		Handler:          render.Fn,
		Proxy:            jsii.Bool(true),
		RestApiName:      jsii.String(p.Env.prefix() + "-render"),
		EndpointTypes:    &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		BinaryMediaTypes: jsii.Strings("*/*"),
		CloudWatchRole:   jsii.Bool(true),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String("api"),
			ThrottlingRateLimit:  jsii.Number(p.Env.ThrottleRate),
			ThrottlingBurstLimit: jsii.Number(p.Env.ThrottleBurst),
			TracingEnabled:       jsii.Bool(true),
			MetricsEnabled:       jsii.Bool(true),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(access),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true), Protocol: jsii.Bool(true),
				RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true), ResponseLength: jsii.Bool(true),
				Status: jsii.Bool(true), User: jsii.Bool(false),
			}),
		},
	})
	return &API{Construct: c, Render: render, Rest: rest}
}
