package templatetests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// TestNoCircularDependencies: CloudFormation refuses a template whose
// resources depend on each other in a circle (Ref, Fn::GetAtt, Fn::Sub,
// DependsOn); CDK does not check within a stack.
func TestNoCircularDependencies(t *testing.T) {
	for name, tpl := range synth(t) {
		raw, _ := json.Marshal(assertions.Template_FromStack(tpl.Stack, nil).ToJSON())
		var doc struct {
			Resources map[string]map[string]any `json:"Resources"`
		}
		json.Unmarshal(raw, &doc)
		deps := map[string][]string{}
		for id, r := range doc.Resources {
			seen := map[string]bool{}
			var walk func(v any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					for k, x := range v {
						switch k {
						case "Ref":
							if s, ok := x.(string); ok && doc.Resources[s] != nil {
								seen[s] = true
							}
						case "Fn::GetAtt":
							if a, ok := x.([]any); ok {
								seen[a[0].(string)] = true
							}
						case "Fn::Sub":
							s, _ := x.(string)
							if a, ok := x.([]any); ok {
								s, _ = a[0].(string)
							}
							for _, m := range subVar.FindAllString(s, -1) {
								ref, _, _ := strings.Cut(m[2:len(m)-1], ".")
								if doc.Resources[ref] != nil {
									seen[ref] = true
								}
							}
						}
						walk(x)
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				}
			}
			walk(r["Properties"])
			for _, d := range list(r["DependsOn"]) {
				seen[d] = true
			}
			for d := range seen {
				deps[id] = append(deps[id], d)
			}
		}
		state := map[string]int{}
		var path []string
		var visit func(id string) bool
		visit = func(id string) bool {
			switch state[id] {
			case 1:
				t.Errorf("%s: circular dependency: %s -> %s", name, strings.Join(path, " -> "), id)
				return true
			case 2:
				return false
			}
			state[id] = 1
			path = append(path, id)
			for _, d := range deps[id] {
				if visit(d) {
					return true
				}
			}
			path = path[:len(path)-1]
			state[id] = 2
			return false
		}
		for id := range doc.Resources {
			if visit(id) {
				break
			}
		}
	}
}
