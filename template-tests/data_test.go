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
