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
	Network  *Network
	Kroki    *Kroki
	Cache    awss3.IBucket
	// OriginSecret is the origin lock's secret as a dynamic reference.
	OriginSecret string
}

// API is the render function behind a regional REST API.
type API struct {
	constructs.Construct
	Render *Function
	Rest   awsapigateway.LambdaRestApi
	// StageURL is the stage's execute-api address, built from the API's id
	// (no dependency on the stage, so the distribution can refer to it and
	// the function to the distribution).
	StageURL string
}

// stage is the REST API's one stage.
const stage = "api"

// NewAPI builds the render function (in the VPC: Kroki through the
// internal load balancer, S3 through the gateway endpoint, nothing else)
// and the REST API: binary media types, throttling, JSON access logs,
// X-Ray, execution logs that expire. Where a custom domain serves the API
// its execute-api endpoint is off: clients "will receive a 403 Forbidden"
// there (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-disable-default-endpoint.html).
func NewAPI(scope constructs.Construct, id string, p APIProps) *API {
	c := constructs.NewConstruct(scope, jsii.String(id))
	env := map[string]string{
		config.EnvKrokiURL:     p.Kroki.URL,
		config.EnvKrokiVersion: KrokiVersion,
		config.EnvCacheBucket:  *p.Cache.BucketName(),
	}
	if p.OriginSecret != "" {
		env[config.EnvOriginSecret] = p.OriginSecret
	}
	render := NewFunction(c, "Render", FunctionProps{
		Name: "render", BuildDir: p.BuildDir, Vpc: p.Network.Vpc,
		Timeout:     awscdk.Duration_Seconds(jsii.Number(28)),
		MemoryMB:    p.Env.RenderMemoryMB,
		Environment: env,
	})
	p.Cache.GrantRead(render.Fn, nil)
	p.Cache.GrantPut(render.Fn, jsii.String("renders/*"))
	p.Cache.GrantPut(render.Fn, jsii.String("diagrams/*"))
	p.Network.AllowHTTPS(render.Fn, "the render function")
	p.Kroki.Service.LoadBalancer().Connections().AllowFrom(render.Fn, awsec2.Port_Tcp(jsii.Number(80)), jsii.String("the render function calls Kroki"))
	access := newLogGroup(c, "AccessLogs", nil)
	rest := awsapigateway.NewLambdaRestApi(c, jsii.String("Rest"), &awsapigateway.LambdaRestApiProps{
		Handler:                   render.Live,
		Proxy:                     jsii.Bool(true),
		RestApiName:               jsii.String(p.Env.prefix() + "-render"),
		EndpointTypes:             &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		BinaryMediaTypes:          jsii.Strings("*/*"),
		CloudWatchRole:            jsii.Bool(true),
		DisableExecuteApiEndpoint: jsii.Bool(p.Env.Domain != ""),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(stage),
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
	// API Gateway writes execution logs to a group of this name, which it
	// creates without expiry unless it exists:
	// https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-execution-logging.html
	execution := newLogGroup(c, "ExecutionLogs", &awslogs.LogGroupProps{
		LogGroupName: jsii.String("API-Gateway-Execution-Logs_" + *rest.RestApiId() + "/" + stage),
	})
	rest.DeploymentStage().Node().AddDependency(execution)
	stageURL := "https://" + *rest.RestApiId() + ".execute-api." + *awscdk.Stack_Of(c).Region() + "." + *awscdk.Aws_URL_SUFFIX() + "/" + stage
	render.Fn.AddEnvironment(jsii.String(config.EnvPublicBaseURL), jsii.String(stageURL), nil)
	return &API{Construct: c, Render: render, Rest: rest, StageURL: stageURL}
}

// SetPublicBaseURL tells the render function its public address.
func (a *API) SetPublicBaseURL(url string) {
	a.Render.Fn.AddEnvironment(jsii.String(config.EnvPublicBaseURL), jsii.String(url), nil)
}
