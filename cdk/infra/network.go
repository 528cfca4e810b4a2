package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Network is a VPC with isolated subnets only (no route to the internet)
// and the endpoints its tasks and functions need: S3 (gateway), ECR and
// CloudWatch Logs (interface).
type Network struct {
	constructs.Construct
	Vpc awsec2.Vpc
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
	vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{Service: awsec2.GatewayVpcEndpointAwsService_S3()})
	for name, svc := range map[string]awsec2.InterfaceVpcEndpointAwsService{
		"EcrApi": awsec2.InterfaceVpcEndpointAwsService_ECR(),
		"EcrDkr": awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER(),
		"Logs":   awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS(),
		"XRay":   awsec2.InterfaceVpcEndpointAwsService_XRAY(),
	} {
		vpc.AddInterfaceEndpoint(jsii.String(name), &awsec2.InterfaceVpcEndpointOptions{Service: svc, PrivateDnsEnabled: jsii.Bool(true)})
	}
	return &Network{Construct: c, Vpc: vpc}
}
