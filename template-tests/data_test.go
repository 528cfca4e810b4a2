package templatetests

import (
	"strings"
	"testing"
)

func TestBuckets(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			for id, b := range tpl.ofType("AWS::S3::Bucket") {
				has(t, tpl.Name+" "+id, b.Properties, `"BlockPublicAcls":true`, `"RestrictPublicBuckets":true`, `"BucketEncryption"`)
			}
			for id, p := range tpl.ofType("AWS::S3::BucketPolicy") {
				has(t, tpl.Name+" "+id+" TLS only", p.Properties, `"aws:SecureTransport":"false"`)
			}
		}
	}
}

// TestBackupBucket: in the standby region, versioned, 30 days standard then
// archive, expiry at 7 years.
func TestBackupBucket(t *testing.T) {
	tpl := stack(t, "UmlImages-prod-Standby")
	found := false
	for _, b := range tpl.ofType("AWS::S3::Bucket") {
		if js(b.Properties["LifecycleConfiguration"]) == "null" || b.Properties["VersioningConfiguration"] == nil {
			continue
		}
		if s := js(b.Properties["LifecycleConfiguration"]); strings.Contains(s, `"StorageClass":"GLACIER","TransitionInDays":30`) && strings.Contains(s, `"ExpirationInDays":2557`) {
			found = true
			has(t, "backup bucket", b.Properties, `"Status":"Enabled"`)
		}
	}
	if !found {
		t.Error("no versioned backup bucket archiving after 30 days and expiring after 7 years")
	}
}

// TestRecreateAfterDestroy: a bucket that is not retained has a generated
// name, so the environment can be deployed again after `cdk destroy`; dev
// removes its buckets with their objects; prod keeps its data.
func TestRecreateAfterDestroy(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			autoDelete := js(tpl.ofType("Custom::S3AutoDeleteObjects"))
			for id, b := range tpl.ofType("AWS::S3::Bucket") {
				retained := b.DeletionPolicy == "Retain" || b.DeletionPolicy == "RetainExceptOnCreate"
				if name, fixed := b.Properties["BucketName"]; fixed && !retained {
					t.Errorf("%s %s: fixed name %s on a bucket deleted with the stack", tpl.Name, id, js(name))
				}
				if env == "dev" && (retained || !strings.Contains(autoDelete, `{"Ref":"`+id+`"}`)) {
					t.Errorf("%s %s: dev keeps this bucket (or its objects) after destroy", tpl.Name, id)
				}
				if env == "prod" && !strings.Contains(id, "Ui") && !strings.Contains(id, "AccessLogs") && !retained {
					t.Errorf("%s %s: a prod data bucket deleted with the stack", tpl.Name, id)
				}
			}
		}
	}
}

// TestLogGroups: every log group expires, prod keeps its log groups when a
// stack goes, and no function writes to a log group CloudFormation does
// not manage (one Lambda would create with no expiry).
func TestLogGroups(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby", "Edge"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			for id, lg := range tpl.ofType("AWS::Logs::LogGroup") {
				if lg.Properties["RetentionInDays"] == nil {
					t.Errorf("%s %s: a log group that never expires", tpl.Name, id)
				}
				if want := map[bool]string{true: "Retain", false: "Delete"}[env == "prod"]; lg.DeletionPolicy != want {
					t.Errorf("%s %s: deletion policy %q, want %q", tpl.Name, id, lg.DeletionPolicy, want)
				}
			}
			for id, f := range tpl.ofType("AWS::Lambda::Function") {
				if !strings.Contains(js(f.Properties["LoggingConfig"]), `"LogGroup":{"Ref":`) {
					t.Errorf("%s %s: logs to a log group of Lambda's making, which never expires", tpl.Name, id)
				}
			}
			for id, st := range tpl.ofType("AWS::ApiGateway::Stage") {
				found := false
				for _, lg := range tpl.ofType("AWS::Logs::LogGroup") {
					if s := js(lg.Properties["LogGroupName"]); strings.Contains(s, "API-Gateway-Execution-Logs_") && strings.Contains(s, "/"+st.Properties["StageName"].(string)) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s %s: API Gateway's execution log group is not created (with a retention) by the stack", tpl.Name, id)
				}
			}
		}
	}
}
