// Command cdk is the CDK app: every environment's stacks (`cdk synth`), or
// one with `-c env=<dev|staging|prod>` and that deployment's settings as
// further context (infra.ContextKeys). AwsSolutions checks (cdk-nag) run
// on every stack; an unacknowledged finding fails the synth.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/cdk/infra"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	get := func(key string) string {
		v, _ := app.Node().TryGetContext(jsii.String(key)).(string)
		return v
	}
	digests, err := infra.ParseDigests(os.Getenv("KROKI_IMAGE_DIGESTS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "cdk:", err)
		os.Exit(1)
	}
	paths := infra.Paths{BuildDir: or(get("buildDir"), "build"), WebDir: or(get("webDir"), "web/dist"), ImagesDir: "cdk/images", ImageDigests: digests}
	envs, err := infra.Configure(get)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cdk:", err)
		os.Exit(1)
	}
	for _, e := range envs {
		infra.NewSystem(app, e, paths)
	}
	infra.Check(app)
	infra.Synth(app)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
