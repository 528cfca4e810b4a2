package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Paths are where the app finds what it deploys.
type Paths struct {
	BuildDir  string // build/: <fn>/bootstrap per function
	WebDir    string // web/dist: the built editor
	ImagesDir string // cdk/images: a Dockerfile per Kroki image
	// ImageDigests pins Kroki's images by digest, by image name
	// (ParseDigests reads KROKI_IMAGE_DIGESTS).
	ImageDigests map[string]string
}

// System is an environment's stacks.
type System struct {
	Edge, Standby, Primary awscdk.Stack
	Distribution           awscloudfront.Distribution
}

// Region is one region's render stack.
type Region struct {
	Network *Network
	Kroki   *Kroki
	Data    *Data
	API     *API
}

func newRegion(stack awscdk.Stack, e Env, paths Paths) *Region {
	network := NewNetwork(stack, "Network")
	data := NewData(stack, "Data", e)
	kroki := NewKroki(stack, "Kroki", KrokiProps{Env: e, Vpc: network.Vpc, Logs: data.Logs, Images: paths.ImagesDir, Digests: paths.ImageDigests})
	public := ""
	if e.Domain != "" {
		public = "https://" + e.Domain
	}
	api := NewAPI(stack, "Api", APIProps{Env: e, BuildDir: paths.BuildDir, Vpc: network.Vpc, Kroki: kroki, Cache: data.Cache, PublicBaseURL: public})
	return &Region{Network: network, Kroki: kroki, Data: data, API: api}
}

// NewSystem composes an environment: the edge stack (us-east-1: the web
// ACL, and the certificate when there is a domain), the standby region
// (render stack and the backup bucket) and the primary region (render
// stack, UI, CloudFront, operations, DNS).
func NewSystem(app constructs.Construct, e Env, paths Paths) *System {
	env := func(region string) *awscdk.Environment {
		en := &awscdk.Environment{Region: jsii.String(region)}
		if e.Account != "" {
			en.Account = jsii.String(e.Account)
		}
		return en
	}
	name := func(part string) string { return "UmlImages-" + e.Name + "-" + part }
	tags := map[string]*string{"project": jsii.String("uml-images"), "environment": jsii.String(e.Name)}
	s := &System{}

	s.Edge = awscdk.NewStack(app, jsii.String(name("Edge")), &awscdk.StackProps{Env: env("us-east-1"), Tags: &tags, CrossRegionReferences: jsii.Bool(true),
		Description: jsii.String("UML Images " + e.Name + ": CloudFront's web ACL and certificate (us-east-1)")})
	acl := NewFirewall(s.Edge, "Firewall", e)
	var cert awscertificatemanager.ICertificate
	if e.Domain != "" {
		cert = NewEdgeCertificate(s.Edge, "Certificate", e)
	}

	s.Standby = awscdk.NewStack(app, jsii.String(name("Standby")), &awscdk.StackProps{Env: env(e.StandbyRegion), Tags: &tags, CrossRegionReferences: jsii.Bool(true),
		Description: jsii.String("UML Images " + e.Name + ": standby region (render stack, backup bucket)")})
	standby := newRegion(s.Standby, e, paths)
	NewBackupBucket(s.Standby, "BackupBucket", e, standby.Data.Logs)

	s.Primary = awscdk.NewStack(app, jsii.String(name("Primary")), &awscdk.StackProps{Env: env(e.PrimaryRegion), Tags: &tags,
		CrossRegionReferences: jsii.Bool(true),
		Description:           jsii.String("UML Images " + e.Name + ": primary region (render stack, UI, CloudFront, operations, DNS)")})
	s.Primary.AddStackDependency(s.Edge, jsii.String("CloudFront uses the edge stack's web ACL"))
	s.Primary.AddStackDependency(s.Standby, jsii.String("backups go to the standby's bucket"))
	primary := newRegion(s.Primary, e, paths)
	ui := NewUI(s.Primary, "Ui", e, paths.WebDir, primary.Data.Logs)

	var apiOrigin awscloudfront.IOrigin
	var sw *SwitchProps
	probes := map[string]string{"primary": *primary.API.Rest.Url(), "standby": *standby.API.Rest.Url()}
	if e.Domain != "" {
		sw = &SwitchProps{
			HostedZoneID: e.HostedZoneID, RecordName: e.OriginName(),
			PrimaryTarget: NewOriginDomain(s.Primary, "OriginDomain", e, primary.API.Rest),
			StandbyTarget: NewOriginDomain(s.Standby, "OriginDomain", e, standby.API.Rest),
		}
		apiOrigin = awscloudfrontorigins.NewHttpOrigin(jsii.String(e.OriginName()), &awscloudfrontorigins.HttpOriginProps{
			ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
		})
	} else {
		apiOrigin = awscloudfrontorigins.NewRestApiOrigin(primary.API.Rest, nil)
	}
	s.Distribution = NewCDN(s.Primary, "Cdn", CDNProps{
		Env: e, APIOrigin: apiOrigin, UI: ui, Renders: primary.Data.Cache, Logs: primary.Data.Logs,
		WebACLArn: acl.AttrArn(), Certificate: cert,
	})
	if sw != nil {
		NewDNS(s.Primary, "Dns", DNSProps{Env: e, PrimaryTarget: sw.PrimaryTarget, StandbyTarget: sw.StandbyTarget, Distribution: s.Distribution})
	}
	NewOps(s.Primary, "Ops", OpsProps{Env: e, BuildDir: paths.BuildDir, API: primary.API, Kroki: primary.Kroki, Data: primary.Data,
		ProbeTargets: probes, Switch: sw})
	awscdk.NewCfnOutput(s.Primary, jsii.String("Url"), &awscdk.CfnOutputProps{
		Value: jsii.String("https://" + *s.Distribution.DistributionDomainName()), Description: jsii.String("the service's CloudFront URL"),
	})
	return s
}
