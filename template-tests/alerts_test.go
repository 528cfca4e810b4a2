package templatetests

import (
	"strings"
	"testing"
)

// TestAlertDestinations: with Slack and PagerDuty given (prod), each
// regional stack sends both topics to Slack through Chatbot and the
// critical topic to PagerDuty over HTTPS, its URL a Secrets Manager dynamic
// reference (never in clear); e-mail goes to the critical topic. Without
// the keys (staging has only e-mail), neither Slack nor PagerDuty exists.
func TestAlertDestinations(t *testing.T) {
	for _, part := range []string{"Primary", "Standby"} {
		prod := stack(t, "UmlImages-prod-"+part)
		slack := prod.ofType("AWS::Chatbot::SlackChannelConfiguration")
		if len(slack) != 1 {
			t.Fatalf("prod %s: %d Slack configurations, want 1", part, len(slack))
		}
		for _, s := range slack {
			if s.Properties["SlackWorkspaceId"] != "T0ACMETEST" || s.Properties["SlackChannelId"] != "C0ACMETEST" || len(asList(s.Properties["SnsTopicArns"])) != 2 {
				t.Errorf("prod %s: Slack %s", part, js(s.Properties))
			}
		}
		protocols := map[string]string{}
		for _, sub := range prod.ofType("AWS::SNS::Subscription") {
			protocols[sub.Properties["Protocol"].(string)] = js(sub.Properties)
		}
		if https := protocols["https"]; !strings.Contains(https, "{{resolve:secretsmanager:uml-images/pagerduty:SecretString") || !strings.Contains(https, "Critical") {
			t.Errorf("prod %s: PagerDuty subscription %s", part, https)
		}
		if email := protocols["email"]; !strings.Contains(email, "ops@acme.test") || !strings.Contains(email, "Critical") {
			t.Errorf("prod %s: e-mail subscription %s", part, email)
		}
		staging := stack(t, "UmlImages-staging-"+part)
		if n := len(staging.ofType("AWS::Chatbot::SlackChannelConfiguration")); n != 0 {
			t.Errorf("staging %s: %d Slack configurations without the keys", part, n)
		}
		for _, sub := range staging.ofType("AWS::SNS::Subscription") {
			if sub.Properties["Protocol"] != "email" {
				t.Errorf("staging %s: a %v subscription without the keys", part, sub.Properties["Protocol"])
			}
		}
	}
}
