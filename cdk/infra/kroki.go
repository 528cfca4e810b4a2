package infra

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// companions are Kroki's companion containers: image, port, and the
// KROKI_<NAME>_HOST/_PORT variables that wire them.
var companions = []struct {
	name, image string
	port        float64
}{
	{"MERMAID", "kroki-mermaid", 8002},
	{"BPMN", "kroki-bpmn", 8003},
	{"EXCALIDRAW", "kroki-excalidraw", 8004},
	{"DIAGRAMSNET", "kroki-diagramsnet", 8005},
}

// KrokiProps configure Kroki.
type KrokiProps struct {
	Env     Env
	Network *Network
	// Logs receives the load balancer's access logs.
	Logs awss3.IBucket
	// Images holds a Dockerfile per image (cdk/images/<image>); Digests
	// pins base images by digest, by image name.
	Images  string
	Digests map[string]string
}

// Kroki is Kroki on ECS Fargate behind an internal load balancer: the
// pinned image and its companions, built from cdk/images and pushed to
// this account's ECR by cdk deploy (the tasks have no route out, and ECR's
// pull-through cache would need one on its first pull),
// KROKI_SAFE_MODE=secure, a task role with no
// permissions, health checks, CPU autoscaling, Container Insights.
type Kroki struct {
	constructs.Construct
	Service awsecspatterns.ApplicationLoadBalancedFargateService
	// URL is the internal address the render function calls.
	URL string
}

// NewKroki builds the Kroki service.
func NewKroki(scope constructs.Construct, id string, p KrokiProps) *Kroki {
	c := constructs.NewConstruct(scope, jsii.String(id))
	cluster := awsecs.NewCluster(c, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc: p.Network.Vpc, ContainerInsightsV2: awsecs.ContainerInsights_ENABLED,
	})
	task := awsecs.NewFargateTaskDefinition(c, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(p.Env.KrokiCPU * 1024),
		MemoryLimitMiB: jsii.Number(p.Env.KrokiMemoryMiB * 2),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture: awsecs.CpuArchitecture_X86_64(), OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
	})
	logs := newLogGroup(c, "Logs", nil)
	image := func(name string) awsecs.ContainerImage {
		props := &awsecs.AssetImageProps{Platform: awsecrassets.Platform_LINUX_AMD64()}
		if d := p.Digests[name]; d != "" {
			props.BuildArgs = &map[string]*string{"BASE": jsii.String("yuzutech/" + name + ":" + KrokiVersion + "@" + d)}
		}
		return awsecs.ContainerImage_FromAsset(jsii.String(filepath.Join(p.Images, name)), props)
	}
	env := map[string]*string{
		"KROKI_SAFE_MODE":       jsii.String("secure"),
		"KROKI_MAX_URI_LENGTH":  jsii.String("16384"),
		"KROKI_BODY_LIMIT":      jsii.String("2097152"),
		"KROKI_CONVERT_TIMEOUT": jsii.String("25s"),
	}
	for _, comp := range companions {
		env["KROKI_"+comp.name+"_HOST"] = jsii.String("localhost")
		env["KROKI_"+comp.name+"_PORT"] = jsii.String(fmt.Sprint(comp.port))
	}
	task.AddContainer(jsii.String("kroki"), &awsecs.ContainerDefinitionOptions{
		Image:          image("kroki"),
		Essential:      jsii.Bool(true),
		Environment:    &env,
		PortMappings:   &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(8000)}},
		Logging:        awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{LogGroup: logs, StreamPrefix: jsii.String("kroki")}),
		MemoryLimitMiB: jsii.Number(p.Env.KrokiMemoryMiB),
		HealthCheck: &awsecs.HealthCheck{
			Command:  jsii.Strings("CMD-SHELL", "wget -q -O /dev/null http://localhost:8000/health || exit 1"),
			Interval: awscdk.Duration_Seconds(jsii.Number(15)), Retries: jsii.Number(3),
			StartPeriod: awscdk.Duration_Seconds(jsii.Number(60)), Timeout: awscdk.Duration_Seconds(jsii.Number(5)),
		},
		ReadonlyRootFilesystem: jsii.Bool(false),
	})
	for _, comp := range companions {
		task.AddContainer(jsii.String(comp.image), &awsecs.ContainerDefinitionOptions{
			Image:        image(comp.image),
			Essential:    jsii.Bool(true),
			PortMappings: &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(comp.port)}},
			Logging:      awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{LogGroup: logs, StreamPrefix: jsii.String(comp.image)}),
		})
	}
	// The tasks call nothing but ECR and CloudWatch Logs (image pulls and
	// logs go through the task's network interface on Fargate).
	tasks := awsec2.NewSecurityGroup(c, jsii.String("Tasks"), &awsec2.SecurityGroupProps{
		Vpc: p.Network.Vpc, AllowAllOutbound: jsii.Bool(false), Description: jsii.String("Kroki tasks: from the load balancer, to AWS endpoints only"),
	})
	p.Network.AllowHTTPS(tasks, "Kroki's tasks pull images and write logs")
	svc := awsecspatterns.NewApplicationLoadBalancedFargateService(c, jsii.String("Service"), &awsecspatterns.ApplicationLoadBalancedFargateServiceProps{
		Cluster:            cluster,
		SecurityGroups:     &[]awsec2.ISecurityGroup{tasks},
		TaskDefinition:     task,
		DesiredCount:       jsii.Number(float64(p.Env.KrokiReplicas)),
		PublicLoadBalancer: jsii.Bool(false),
		OpenListener:       jsii.Bool(false),
		TaskSubnets:        &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		CircuitBreaker:     &awsecs.DeploymentCircuitBreaker{Rollback: jsii.Bool(true)},
		MinHealthyPercent:  jsii.Number(100),
	})
	svc.LoadBalancer().LogAccessLogs(p.Logs, jsii.String("kroki-alb"))
	svc.TargetGroup().ConfigureHealthCheck(&awselasticloadbalancingv2.HealthCheck{
		Path: jsii.String("/health"), HealthyHttpCodes: jsii.String("200"),
		Interval: awscdk.Duration_Seconds(jsii.Number(15)), HealthyThresholdCount: jsii.Number(2),
	})
	scaling := svc.Service().AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(float64(p.Env.KrokiReplicas)), MaxCapacity: jsii.Number(float64(p.Env.KrokiMaxTasks)),
	})
	scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{TargetUtilizationPercent: jsii.Number(60)})
	return &Kroki{Construct: c, Service: svc, URL: "http://" + *svc.LoadBalancer().LoadBalancerDnsName()}
}

// ParseDigests reads image digests in the form KROKI_IMAGE_DIGESTS takes:
// "kroki=sha256:…,kroki-mermaid=sha256:…".
func ParseDigests(s string) (map[string]string, error) {
	out := map[string]string{}
	known := map[string]bool{"kroki": true}
	for _, c := range companions {
		known[c.image] = true
	}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, digest, _ := strings.Cut(part, "=")
		if !known[name] {
			return nil, fmt.Errorf("KROKI_IMAGE_DIGESTS: unknown image %q", name)
		}
		if !digestPattern.MatchString(digest) {
			return nil, fmt.Errorf("KROKI_IMAGE_DIGESTS: %s: %q is not a sha256:<64 hex> digest", name, digest)
		}
		out[name] = digest
	}
	return out, nil
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
