package templatetests

import (
	"fmt"
	"regexp"
	"strings"
)

// plausible turns a template value into the string CloudFormation would
// give it, with made-up but well-formed values for what only a deploy
// knows: references become names, attributes become host names or ARNs,
// pseudo parameters become the stack's own.
func plausible(v any, region string) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	case bool:
		return fmt.Sprint(v)
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = plausible(p, region)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		for fn, arg := range v {
			switch fn {
			case "Ref":
				return pseudo(arg.(string), region)
			case "Fn::GetAtt":
				a := arg.([]any)
				return attribute(a[0].(string), a[1].(string), region)
			case "Fn::Join":
				a := arg.([]any)
				var parts []string
				for _, p := range a[1].([]any) {
					parts = append(parts, plausible(p, region))
				}
				return strings.Join(parts, a[0].(string))
			case "Fn::Sub":
				s, vars := "", map[string]any{}
				switch a := arg.(type) {
				case string:
					s = a
				case []any:
					s, vars = a[0].(string), a[1].(map[string]any)
				}
				return subVar.ReplaceAllStringFunc(s, func(m string) string {
					name := m[2 : len(m)-1]
					if x, ok := vars[name]; ok {
						return plausible(x, region)
					}
					if res, attr, ok := strings.Cut(name, "."); ok {
						return attribute(res, attr, region)
					}
					return pseudo(name, region)
				})
			case "Fn::Select":
				a := arg.([]any)
				list := strings.Split(plausible(a[1], region), ",")
				i := int(a[0].(float64))
				if i < len(list) {
					return list[i]
				}
				return ""
			case "Fn::Split":
				a := arg.([]any)
				return strings.ReplaceAll(plausible(a[1], region), a[0].(string), ",")
			case "Fn::ImportValue":
				return "imported-" + strings.ToLower(plausible(arg, region))
			case "Fn::If":
				return plausible(arg.([]any)[1], region)
			}
		}
	}
	return fmt.Sprint(v)
}

var subVar = regexp.MustCompile(`\$\{[^}]+\}`)

func pseudo(name, region string) string {
	switch name {
	case "AWS::Region":
		return region
	case "AWS::AccountId":
		return "123456789012"
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return "stack"
	}
	return strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(name, ""))
}

func attribute(resource, attr, region string) string {
	id := pseudo(resource, region)
	switch {
	case strings.HasSuffix(attr, "Arn"):
		return "arn:aws:service:" + region + ":123456789012:" + id
	case strings.Contains(attr, "DNSName"), strings.Contains(attr, "DomainName"):
		return id + ".example.internal"
	}
	return id + "-" + strings.ToLower(attr)
}
