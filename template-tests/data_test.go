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

// TestBackupBucket: in the standby region, versioned, under Object Lock;
// only the copies (runs/) go to the archive class, after 30 days;
// manifests and the index stay standard; everything expires at 7 years.
func TestBackupBucket(t *testing.T) {
	for _, env := range environments() {
		tpl := stack(t, "UmlImages-"+env+"-Standby")
		found := false
		for id, b := range tpl.ofType("AWS::S3::Bucket") {
			if !strings.HasPrefix(id, "BackupBucket") {
				continue
			}
			found = true
			if b.Properties["ObjectLockEnabled"] != true {
				t.Errorf("%s: the backup bucket has no Object Lock", tpl.Name)
			}
			has(t, "backup bucket", b.Properties, `"Status":"Enabled"`)
			var lc struct {
				Rules []map[string]any `json:"Rules"`
			}
			decode(t, b.Properties["LifecycleConfiguration"], &lc)
			prefixes := map[string]bool{}
			for _, r := range lc.Rules {
				prefix, _ := r["Prefix"].(string)
				prefixes[prefix] = true
				archives := r["Transitions"] != nil || r["NoncurrentVersionTransitions"] != nil
				if archives && prefix != "runs/" {
					t.Errorf("%s: rule %v archives %q; only copies (runs/) may leave the standard class", tpl.Name, r["Id"], prefix)
				}
				if prefix == "runs/" && !strings.Contains(js(r), `"StorageClass":"GLACIER","TransitionInDays":30`) {
					t.Errorf("%s: copies are not archived after 30 days: %s", tpl.Name, js(r))
				}
				if d, ok := r["ExpirationInDays"].(float64); ok && d != 2557 || prefix != "index/" && r["ExpirationInDays"] == nil {
					t.Errorf("%s: rule %v expires after %v days, want 7 years", tpl.Name, r["Id"], r["ExpirationInDays"])
				}
			}
			for _, p := range []string{"runs/", "manifests/", "index/"} {
				if !prefixes[p] {
					t.Errorf("%s: no lifecycle rule for %s", tpl.Name, p)
				}
			}
		}
		if !found {
			t.Errorf("%s: no backup bucket", tpl.Name)
		}
	}
}

// TestRendersExpire: the data bucket's renders/ expire (a year by
// default); saved diagrams do not.
func TestRendersExpire(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			for id, b := range tpl.ofType("AWS::S3::Bucket") {
				if !strings.HasPrefix(id, "DataCache") {
					continue
				}
				lc := js(b.Properties["LifecycleConfiguration"])
				if !strings.Contains(lc, `"ExpirationInDays":365,"Id":"renders-expire","Prefix":"renders/"`) {
					t.Errorf("%s: renders/ do not expire after 365 days: %s", tpl.Name, lc)
				}
				if strings.Contains(lc, `"Prefix":"diagrams/"`) {
					t.Errorf("%s: a lifecycle rule on saved diagrams: %s", tpl.Name, lc)
				}
			}
		}
	}
}

// TestBackupCannotDelete: the backup role reads and writes backups, locks
// what it writes and thaws archived copies; it cannot delete, bypass or
// change a lock, or change the lifecycle.
func TestBackupCannotDelete(t *testing.T) {
	for _, name := range []string{"dev-Primary", "dev-Standby", "staging-Primary", "staging-Standby", "prod-Primary", "prod-Standby"} {
		tpl := stack(t, "UmlImages-"+name)
		found := false
		for id, p := range tpl.ofType("AWS::IAM::Policy") {
			if !strings.HasPrefix(id, "Backup") || !strings.Contains(id, "FunctionServiceRole") {
				continue
			}
			found = true
			doc := js(p.Properties["PolicyDocument"])
			for _, bad := range []string{"s3:Delete", "s3:BypassGovernanceRetention", "s3:PutLifecycle", "s3:PutBucketObjectLock", "s3:*", "s3:PutObjectLegalHold"} {
				if strings.Contains(doc, bad) {
					t.Errorf("%s %s: the backup role has %s", tpl.Name, id, bad)
				}
			}
			for _, want := range []string{"s3:PutObjectRetention", "s3:RestoreObject", "s3:PutObject", "s3:GetObject"} {
				if !strings.Contains(doc, want) {
					t.Errorf("%s %s: the backup role lacks %s", tpl.Name, id, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no backup role policy", tpl.Name)
		}
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
