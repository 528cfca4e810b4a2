// CloudFront viewer response (JavaScript runtime 2.0), on the render API's
// behaviour: the editor is served there at / (see viewer-request.js), and
// gets the UI's framing and content policies; the API never answers HTML,
// and its renders stay embeddable.

var UI_CSP = %UI_CSP%;

function handler(event) {
    var response = event.response;
    var type = response.headers['content-type'];
    if (type && type.value.toLowerCase().indexOf('text/html') === 0) {
        response.headers['x-frame-options'] = { value: 'DENY' };
        response.headers['content-security-policy'] = { value: UI_CSP };
    }
    return response;
}
