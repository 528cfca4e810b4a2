package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
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
	// Monitor is the global view (us-east-1): CloudFront's and the web
	// ACL's alarms, and the dashboard of both regions.
	Monitor      awscdk.Stack
	Distribution awscloudfront.Distribution
}

// Region is one region's render stack.
type Region struct {
	Network *Network
	Kroki   *Kroki
	Data    *Data
	API     *API
}

func newRegion(stack awscdk.Stack, e Env, paths Paths, secret *OriginSecret) *Region {
	network := NewNetwork(stack, "Network")
	data := NewData(stack, "Data", e)
	network.AllowBuckets(data.Cache)
	kroki := NewKroki(stack, "Kroki", KrokiProps{Env: e, Network: network, Logs: data.Logs, Images: paths.ImagesDir, Digests: paths.ImageDigests})
	api := NewAPI(stack, "Api", APIProps{Env: e, BuildDir: paths.BuildDir, Network: network, Kroki: kroki, Cache: data.Cache,
		OriginSecret: secret.Reference(stack)})
	if e.Domain != "" {
		api.SetPublicBaseURL("https://" + e.Domain)
	}
	return &Region{Network: network, Kroki: kroki, Data: data, API: api}
}

// NewSystem composes an environment: the edge stack (us-east-1: the web
// ACL, and the certificate when there is a domain), the standby region
// (render stack, the backup bucket, the origin secret) and the primary
// region (render stack, UI, CloudFront, operations, DNS). `cdk deploy
// --all` deploys them in that order.
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
	newStack := func(part, description string, region string) awscdk.Stack {
		st := awscdk.NewStack(app, jsii.String(name(part)), &awscdk.StackProps{Env: env(region), Tags: &tags, CrossRegionReferences: jsii.Bool(true),
			Description: jsii.String("UML Images " + e.Name + ": " + description)})
		awscdk.Aspects_Of(st).Add(&logRetention{env: e}, nil)
		return st
	}

	s.Edge = newStack("Edge", "CloudFront's web ACL and certificate (us-east-1)", "us-east-1")
	acl := NewFirewall(s.Edge, "Firewall", e)
	var cert awscertificatemanager.ICertificate
	if e.Domain != "" {
		cert = NewEdgeCertificate(s.Edge, "Certificate", e)
	}

	s.Standby = newStack("Standby", "standby region (render stack, backup bucket, origin secret)", e.StandbyRegion)
	secret := NewOriginSecret(s.Standby, "OriginSecret", e)
	standby := newRegion(s.Standby, e, paths, secret)
	backups := NewBackupBucket(s.Standby, "BackupBucket", e, standby.Data.Logs)
	standbyUI := NewUIBucket(s.Standby, "UiBucket", standby.Data.Logs)
	DeployUI(s.Standby, "Ui", e, standbyUI, paths.WebDir, nil)
	AllowDistributions(standbyUI, "*")
	AllowDistributions(standby.Data.Cache, "renders/*")

	s.Primary = newStack("Primary", "primary region (render stack, UI, CloudFront, operations, DNS)", e.PrimaryRegion)
	s.Primary.AddStackDependency(s.Edge, jsii.String("CloudFront uses the edge stack's web ACL"))
	s.Primary.AddStackDependency(s.Standby, jsii.String("backups go to the standby's bucket; the origin secret is the standby's"))
	primary := newRegion(s.Primary, e, paths, secret)
	uiBucket := NewUIBucket(s.Primary, "UiBucket", primary.Data.Logs)
	ReplicateSavedDiagrams(s.Primary, "Replication", e, primary.Data.Cache, standby.Data.Cache)

	var sw *SwitchProps
	primaryProbes := map[string]string{primaryRole: *primary.API.Rest.Url(), standbyRole: *standby.API.Rest.Url()}
	standbyProbes := map[string]string{standbyRole: *standby.API.Rest.Url()}
	if e.Domain != "" {
		p, st := NewOriginDomain(s.Primary, "OriginDomain", e, primary.API.Rest), NewOriginDomain(s.Standby, "OriginDomain", e, standby.API.Rest)
		sw = &SwitchProps{HostedZoneID: e.HostedZoneID, RecordName: e.OriginName(), PrimaryTarget: p.Name, StandbyTarget: st.Name}
		primaryProbes = map[string]string{primaryRole: p.ProbeURL, standbyRole: st.ProbeURL}
		standbyProbes = primaryProbes
	}
	s.Distribution = NewCDN(s.Primary, "Cdn", CDNProps{
		Env: e, APIOrigin: NewAPIOrigin(e, primary.API, secret.Reference(s.Primary)), UI: uiBucket, Renders: primary.Data.Cache,
		StandbyUI:      standbyBucket(s.Primary, "StandbyUi", standbyUI, e.StandbyRegion),
		StandbyRenders: standbyBucket(s.Primary, "StandbyRenders", standby.Data.Cache, e.StandbyRegion),
		Logs:           primary.Data.Logs, WebACLArn: acl.AttrArn(), Certificate: cert,
	})
	if e.Domain == "" {
		primary.API.SetPublicBaseURL("https://" + *s.Distribution.DistributionDomainName())
	}
	DeployUI(s.Primary, "Ui", e, uiBucket, paths.WebDir, s.Distribution)
	if sw != nil {
		NewDNS(s.Primary, "Dns", DNSProps{Env: e, Distribution: s.Distribution})
	}
	primaryOps := NewOps(s.Primary, "Ops", OpsProps{Env: e, BuildDir: paths.BuildDir, Role: primaryRole, API: primary.API, Kroki: primary.Kroki,
		ProbeTargets: primaryProbes, OriginSecret: secret.Reference(s.Primary)})
	NewBackup(s.Primary, "Backup", BackupProps{Env: e, BuildDir: paths.BuildDir, Role: primaryRole, Data: primary.Data, Backups: backups, Ops: primaryOps})
	standbyOps := NewOps(s.Standby, "Ops", OpsProps{Env: e, BuildDir: paths.BuildDir, Role: standbyRole, API: standby.API, Kroki: standby.Kroki,
		ProbeTargets: standbyProbes, OriginSecret: secret.Reference(s.Standby)})
	NewBackup(s.Standby, "Backup", BackupProps{Env: e, BuildDir: paths.BuildDir, Role: standbyRole, Data: standby.Data, Backups: backups, Ops: standbyOps})
	NewFailover(s.Standby, "Failover", FailoverProps{Env: e, BuildDir: paths.BuildDir, Ops: standbyOps, ProbeTargets: standbyProbes,
		OriginSecret: secret.Reference(s.Standby), State: standby.Data.Cache, Switch: sw})
	if e.GitHubRepository != "" {
		NewDeployRole(s.Primary, "Deploy", e)
	}
	s.Monitor = newStack("Monitor", "the global view: CloudFront and web ACL alarms, the dashboard of both regions (us-east-1)", "us-east-1")
	s.Monitor.AddStackDependency(s.Primary, jsii.String("it watches the primary's distribution"))
	NewMonitor(s.Monitor, "Monitor", e, s.Distribution)
	awscdk.NewCfnOutput(s.Primary, jsii.String("Url"), &awscdk.CfnOutputProps{
		Value: jsii.String("https://" + *s.Distribution.DistributionDomainName()), Description: jsii.String("the service's CloudFront URL"),
	})
	return s
}
