// Command cdk is the CDK app: every environment's stacks (`cdk synth`), or
// one with `-c env=<dev|staging|prod>`. AwsSolutions checks (cdk-nag) run
// on every stack; an unacknowledged finding fails the synth.
package main

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/cdk/infra"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	paths := infra.Paths{BuildDir: context(app, "buildDir", "build"), WebDir: context(app, "webDir", "web/dist")}
	names := []string{context(app, "env", "")}
	if names[0] == "" {
		names = names[:0]
		for n := range infra.Environments {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for _, n := range names {
		e, err := infra.Lookup(n)
		if err != nil {
			panic(err)
		}
		infra.NewSystem(app, e, paths)
	}
	infra.Check(app)
	app.Synth(nil)
}

func context(app awscdk.App, key, def string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return def
}
