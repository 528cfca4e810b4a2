package templatetests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/cdk/infra"
)

// TestEveryImageIsBuiltByTheApp: every container of every task definition
// runs an image this app builds and pushes itself (a container asset of
// its own stack, so `cdk deploy` fills ECR before the service starts),
// built FROM Kroki's pinned release of that image; nothing names a
// repository that nobody creates.
func TestEveryImageIsBuiltByTheApp(t *testing.T) {
	synth(t)
	tag := regexp.MustCompile(`/cdk-[a-z0-9]+-container-assets-\$\{AWS::AccountId\}-[a-z0-9-]+:([0-9a-f]{64})$`)
	from := regexp.MustCompile(`(?m)^FROM\s+\$\{BASE\}`)
	base := regexp.MustCompile(`(?m)^ARG\s+BASE=(\S+)`)
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			manifest := readAssets(t, tpl)
			for _, task := range tpl.ofType("AWS::ECS::TaskDefinition") {
				for _, c := range task.Properties["ContainerDefinitions"].([]any) {
					c := c.(map[string]any)
					name := c["Name"].(string)
					sub, _ := c["Image"].(map[string]any)["Fn::Sub"].(string)
					m := tag.FindStringSubmatch(sub)
					if m == nil {
						t.Errorf("%s %s: image %s is not one this app builds", tpl.Name, name, js(c["Image"]))
						continue
					}
					img, ok := manifest.DockerImages[m[1]]
					if !ok {
						t.Errorf("%s %s: image %s is not among the stack's container assets", tpl.Name, name, m[1])
						continue
					}
					if img.Source.Platform != "linux/amd64" {
						t.Errorf("%s %s: built for %q; the task runs X86_64", tpl.Name, name, img.Source.Platform)
					}
					dockerfile, err := os.ReadFile(filepath.Join(assembly, img.Source.Directory, "Dockerfile"))
					if err != nil {
						t.Errorf("%s %s: %v", tpl.Name, name, err)
						continue
					}
					b := base.FindSubmatch(dockerfile)
					if !from.Match(dockerfile) || b == nil || string(b[1]) != "yuzutech/"+name+":"+infra.KrokiVersion {
						t.Errorf("%s %s: Dockerfile does not build FROM yuzutech/%s:%s by default:\n%s", tpl.Name, name, name, infra.KrokiVersion, dockerfile)
					}
					if arg, ok := img.Source.BuildArgs["BASE"]; ok && !strings.HasPrefix(arg, "yuzutech/"+name+":"+infra.KrokiVersion+"@sha256:") {
						t.Errorf("%s %s: BASE build argument %q is not the pinned release by digest", tpl.Name, name, arg)
					}
				}
			}
		}
	}
}

type assetManifest struct {
	DockerImages map[string]struct {
		Source struct {
			Directory string            `json:"directory"`
			Platform  string            `json:"platform"`
			BuildArgs map[string]string `json:"dockerBuildArgs"`
		} `json:"source"`
	} `json:"dockerImages"`
}

func readAssets(t *testing.T, tpl *Template) assetManifest {
	t.Helper()
	var m assetManifest
	raw, err := os.ReadFile(filepath.Join(assembly, *tpl.Stack.ArtifactId()+".assets.json"))
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	if err != nil {
		t.Fatalf("%s: asset manifest: %v", tpl.Name, err)
	}
	return m
}
