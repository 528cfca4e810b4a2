package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Network is a VPC with isolated subnets only (no route to the internet)
// and the endpoints its tasks and functions need: S3 (gateway), ECR and
// CloudWatch Logs (interface). Nothing in it may send anywhere else:
// components open egress to Endpoints and to S3 (AllowHTTPS).
type Network struct {
	constructs.Construct
	Vpc awsec2.Vpc
	// S3 is the gateway endpoint; AllowBuckets opens it bucket by bucket.
	S3 awsec2.GatewayVpcEndpoint
	// Endpoints is the interface endpoints' security group.
	Endpoints awsec2.SecurityGroup
	// s3Prefixes is the region's S3 prefix list (the gateway's addresses).
	s3Prefixes awsec2.IPeer
}

// NewNetwork builds the network.
func NewNetwork(scope constructs.Construct, id string) *Network {
	c := constructs.NewConstruct(scope, jsii.String(id))
	vpc := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name: jsii.String("isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(22),
		}},
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"all": {TrafficType: awsec2.FlowLogTrafficType_REJECT},
		},
	})
	s3 := vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{Service: awsec2.GatewayVpcEndpointAwsService_S3()})
	// Fargate (platform 1.4) pulls from ECR through ecr.api, ecr.dkr and
	// the S3 gateway, where ECR keeps the layers:
	// https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
	s3.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EcrImageLayers"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:GetObject"),
		Resources:  jsii.Strings("arn:" + *awscdk.Aws_PARTITION() + ":s3:::prod-" + *awscdk.Aws_REGION() + "-starport-layer-bucket/*"),
	}))
	endpoints := awsec2.NewSecurityGroup(c, jsii.String("Endpoints"), &awsec2.SecurityGroupProps{
		Vpc: vpc, AllowAllOutbound: jsii.Bool(false), Description: jsii.String("interface endpoints: HTTPS from the VPC"),
	})
	for name, svc := range map[string]awsec2.InterfaceVpcEndpointAwsService{
		"EcrApi": awsec2.InterfaceVpcEndpointAwsService_ECR(),
		"EcrDkr": awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER(),
		"Logs":   awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS(),
		"XRay":   awsec2.InterfaceVpcEndpointAwsService_XRAY(),
	} {
		vpc.AddInterfaceEndpoint(jsii.String(name), &awsec2.InterfaceVpcEndpointOptions{
			Service: svc, PrivateDnsEnabled: jsii.Bool(true), SecurityGroups: &[]awsec2.ISecurityGroup{endpoints},
		})
	}
	// The S3 prefix list has an id of its own per region; CloudFormation
	// cannot name it, the EC2 API can.
	lookup := customresources.NewAwsCustomResource(c, jsii.String("S3PrefixList"), &customresources.AwsCustomResourceProps{
		OnUpdate: &customresources.AwsSdkCall{
			Service: jsii.String("EC2"), Action: jsii.String("describeManagedPrefixLists"),
			Parameters: map[string]any{"Filters": []map[string]any{{
				"Name": "prefix-list-name", "Values": []string{"com.amazonaws." + *awscdk.Aws_REGION() + ".s3"},
			}}},
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String("s3-prefix-list")),
			OutputPaths:        jsii.Strings("PrefixLists.0.PrefixListId"),
		},
		Policy: customresources.AwsCustomResourcePolicy_FromSdkCalls(&customresources.SdkCallsPolicyOptions{
			Resources: customresources.AwsCustomResourcePolicy_ANY_RESOURCE(),
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
	})
	return &Network{Construct: c, Vpc: vpc, S3: s3, Endpoints: endpoints,
		s3Prefixes: awsec2.Peer_PrefixList(lookup.GetResponseField(jsii.String("PrefixLists.0.PrefixListId")))}
}

// AllowBuckets lets the VPC reach buckets through the S3 endpoint: the
// objects (read, write) and their listing, nothing else.
func (n *Network) AllowBuckets(buckets ...awss3.IBucket) {
	var res []*string
	for _, b := range buckets {
		res = append(res, b.BucketArn(), b.ArnForObjects(jsii.String("*")))
	}
	n.S3.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("StackBuckets"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:GetObject", "s3:PutObject", "s3:ListBucket"),
		Resources:  &res,
	}))
}

// AllowHTTPS opens a component's egress to the interface endpoints and to
// S3 on 443, and nothing else.
func (n *Network) AllowHTTPS(conn awsec2.IConnectable, why string) {
	conn.Connections().AllowTo(n.Endpoints, awsec2.Port_Tcp(jsii.Number(443)), jsii.String(why+": AWS endpoints"))
	conn.Connections().AllowTo(n.s3Prefixes, awsec2.Port_Tcp(jsii.Number(443)), jsii.String(why+": S3"))
}
