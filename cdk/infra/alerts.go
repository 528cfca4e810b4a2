package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awschatbot"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Alerts are the two alarm topics of one stack and where they lead:
// e-mail (critical, to on-call), Slack through AWS Chatbot (both topics,
// in real time), PagerDuty (critical). Every destination is optional
// context; without any, the topics still hold the alarms' history.
type Alerts struct {
	Critical, Warning awssns.Topic
}

// NewAlerts builds the topics of the stack where, named for it.
func NewAlerts(scope constructs.Construct, id string, e Env, where string) *Alerts {
	c := constructs.NewConstruct(scope, jsii.String(id))
	topic := func(name string) awssns.Topic {
		return awssns.NewTopic(c, jsii.String(name), &awssns.TopicProps{
			DisplayName: jsii.String(fmt.Sprintf("UML Images %s %s %s", e.Name, where, name)), EnforceSSL: jsii.Bool(true),
		})
	}
	a := &Alerts{Critical: topic("Critical"), Warning: topic("Warning")}
	if e.AlarmEmail != "" {
		a.Critical.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e.AlarmEmail), nil))
	}
	if e.SlackWorkspaceID != "" {
		awschatbot.NewSlackChannelConfiguration(c, jsii.String("Slack"), &awschatbot.SlackChannelConfigurationProps{
			SlackChannelConfigurationName: jsii.String(e.prefix() + "-" + where),
			SlackWorkspaceId:              jsii.String(e.SlackWorkspaceID),
			SlackChannelId:                jsii.String(e.SlackChannelID),
			NotificationTopics:            &[]awssns.ITopic{a.Critical, a.Warning},
		})
	}
	if e.PagerDutySecretName != "" {
		// The integration URL is the secret: CloudFormation resolves the
		// dynamic reference at deploy time, the template holds only its name.
		url := awscdk.SecretValue_SecretsManager(jsii.String(e.PagerDutySecretName), nil).UnsafeUnwrap()
		a.Critical.AddSubscription(awssnssubscriptions.NewUrlSubscription(url, &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}
	return a
}
