package templatetests

import "testing"

func TestAPI(t *testing.T) {
	tpl := stack(t, "UmlImages-prod-Primary")
	apis := tpl.ofType("AWS::ApiGateway::RestApi")
	if len(apis) != 1 {
		t.Fatalf("%d REST APIs, want 1", len(apis))
	}
	for _, api := range apis {
		has(t, "REST API", api.Properties, `"BinaryMediaTypes":["*/*"]`, `"Types":["REGIONAL"]`)
	}
	for _, st := range tpl.ofType("AWS::ApiGateway::Stage") {
		has(t, "stage", st.Properties, `"TracingEnabled":true`, `"ThrottlingRateLimit":500`, `"ThrottlingBurstLimit":1000`, `"AccessLogSetting"`)
	}
}
