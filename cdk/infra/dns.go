package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Zone is the environment's hosted zone.
func Zone(scope constructs.Construct, id string, e Env) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String(id), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(e.HostedZoneID), ZoneName: jsii.String(e.HostedZoneName),
	})
}

// OriginDomain is a region's API under its custom domains.
type OriginDomain struct {
	// Name is this region's own name, <region>.<failover name>: what the
	// weighted record of this region points at (a name known before the
	// region is deployed, so the standby's failover can own the records).
	Name string
	// ProbeURL reaches this region's API directly, whichever is active.
	ProbeURL string
}

// NewOriginDomain gives a region's REST API its custom domains: the
// failover name (the origin CloudFront calls, switched between regions)
// and <region>.<failover name>, this region's own, for the probes (the
// execute-api endpoint is off).
func NewOriginDomain(scope constructs.Construct, id string, e Env, api awsapigateway.RestApi) OriginDomain {
	c := constructs.NewConstruct(scope, jsii.String(id))
	zone := Zone(c, "Zone", e)
	direct := *awscdk.Stack_Of(c).Region() + "." + e.OriginName()
	cert := awscertificatemanager.NewCertificate(c, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
		DomainName: jsii.String(e.OriginName()), SubjectAlternativeNames: jsii.Strings(direct),
		Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
	})
	domain := func(id, name string) awsapigateway.DomainName {
		return awsapigateway.NewDomainName(c, jsii.String(id), &awsapigateway.DomainNameProps{
			DomainName: jsii.String(name), Certificate: cert,
			EndpointType: awsapigateway.EndpointType_REGIONAL, SecurityPolicy: awsapigateway.SecurityPolicy_TLS_1_2,
			Mapping: api,
		})
	}
	domain("Domain", e.OriginName())
	own := domain("Direct", direct)
	awsroute53.NewCnameRecord(c, jsii.String("DirectRecord"), &awsroute53.CnameRecordProps{
		Zone: zone, RecordName: jsii.String(direct), DomainName: own.DomainNameAliasDomainName(), Ttl: awscdk.Duration_Seconds(jsii.Number(60)),
	})
	return OriginDomain{Name: direct, ProbeURL: "https://" + direct + "/"}
}

// DNSProps are the records of an environment with a domain.
type DNSProps struct {
	Env          Env
	Distribution awscloudfront.IDistribution
}

// NewDNS creates the public name pointing at the distribution. The
// weighted origin records are not here: the failover function owns them
// (see NewFailover), so no deploy can reset them.
func NewDNS(scope constructs.Construct, id string, p DNSProps) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	awsroute53.NewARecord(c, jsii.String("Public"), &awsroute53.ARecordProps{
		Zone: Zone(c, "Zone", p.Env), RecordName: jsii.String(p.Env.Domain),
		Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewCloudFrontTarget(p.Distribution)),
	})
}

// NewEdgeCertificate is the public name's certificate in us-east-1, for
// CloudFront.
func NewEdgeCertificate(scope constructs.Construct, id string, e Env) awscertificatemanager.Certificate {
	return awscertificatemanager.NewCertificate(scope, jsii.String(id), &awscertificatemanager.CertificateProps{
		DomainName: jsii.String(e.Domain), Validation: awscertificatemanager.CertificateValidation_FromDns(Zone(scope, id+"Zone", e)),
	})
}
