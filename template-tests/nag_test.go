package templatetests

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"

	"github.com/umlimages/umlimages/cdk/infra"
)

// TestNoUnacknowledgedFindings: AwsSolutions (cdk-nag) reports no error
// or warning on any stack that the acknowledgements do not cover.
func TestNoUnacknowledgedFindings(t *testing.T) {
	for name, tpl := range synth(t) {
		ann := assertions.Annotations_FromStack(tpl.Stack)
		for _, find := range []func() []string{
			func() []string {
				return messages(ann.FindError(jsiiStr("*"), assertions.Match_StringLikeRegexp(jsiiStr("AwsSolutions-.*"))))
			},
			func() []string {
				return messages(ann.FindWarning(jsiiStr("*"), assertions.Match_StringLikeRegexp(jsiiStr("AwsSolutions-.*"))))
			},
		} {
			for _, m := range find() {
				t.Errorf("%s: %s", name, m)
			}
		}
	}
}

//lint:ignore SA1019 Annotations.FindError returns this type; the Go bindings have no other.
func messages(found *[]*cxapi.SynthesisMessage) []string {
	var out []string
	for _, m := range *found {
		//lint:ignore SA1019 as above
		out = append(out, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
	}
	return out
}

// TestAcknowledgementsHaveReasons: every acknowledgement says why, and the
// README lists it.
func TestAcknowledgementsHaveReasons(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range infra.Acknowledgements {
		if len(strings.Fields(a.Reason)) < 8 {
			t.Errorf("%s: the reason %q is too thin", a.ID, a.Reason)
		}
		if !strings.Contains(string(readme), "| `"+a.ID+"` | "+a.Reason+" |") {
			t.Errorf("%s: not listed in the README with its reason", a.ID)
		}
		if seen[a.ID] {
			t.Errorf("%s acknowledged twice", a.ID)
		}
		seen[a.ID] = true
	}
}

// TestNoWildcardPolicies: no IAM statement allows every action, and a
// statement on every resource names only actions AWS offers no narrower
// resource for.
func TestNoWildcardPolicies(t *testing.T) {
	unscoped := map[string]bool{
		"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true, "ecr:GetAuthorizationToken": true,
		"ec2:CreateNetworkInterface": true, "ec2:DescribeNetworkInterfaces": true, "ec2:DeleteNetworkInterface": true,
		"ec2:AssignPrivateIpAddresses": true, "ec2:UnassignPrivateIpAddresses": true,
		// EC2's Describe actions take no resource; CDK's BucketDeployment
		// grants its invalidation on every distribution.
		"ec2:DescribeManagedPrefixLists": true, "cloudfront:CreateInvalidation": true, "cloudfront:GetInvalidation": true,
	}
	var bad []string
	for name, tpl := range synth(t) {
		for id, p := range tpl.ofType("AWS::IAM::Policy") {
			doc, _ := p.Properties["PolicyDocument"].(map[string]any)
			stmts, _ := doc["Statement"].([]any)
			for _, s := range stmts {
				st := s.(map[string]any)
				actions := list(st["Action"])
				for _, a := range actions {
					if a == "*" {
						bad = append(bad, name+" "+id+": Action *")
					}
				}
				for _, r := range list(st["Resource"]) {
					if r != "*" {
						continue
					}
					for _, a := range actions {
						if !unscoped[a] {
							bad = append(bad, name+" "+id+": "+a+" on *")
						}
					}
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

func list(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
