import cf from 'cloudfront';

// CloudFront viewer request (JavaScript runtime 2.0), on the render API's
// behaviour. CloudFront keys its cache on the path, the query string and
// the Accept header only (it ignores Vary), so this function makes those
// carry everything a render depends on, and nothing more:
//
// - Kroki-Diagram-Options-* headers are folded into the query string
//   (names lower-cased, the header winning over a query option of the same
//   name, as the API does), and the query string is sorted;
// - on GET and HEAD, Accept is cut down to the class the API tells apart
//   (image, JSON, text; otherwise it is dropped); POST keeps it whole, as
//   POST /{type} picks its output format from it and is never cached;
// - GET / and HEAD / are the editor: /index.html from the UI's origin,
//   one cached object whatever the query (the page reads it) and Accept.
//   (No default root object: CloudFront would send POST / there too.
//   Changing the URI alone would not change the origin: the behaviour is
//   chosen before the function runs.)

var OPTION = 'kroki-diagram-options-';

function handler(event) {
    var request = event.request;
    var cacheable = request.method === 'GET' || request.method === 'HEAD';
    if (cacheable && request.uri === '/') {
        request.uri = '/index.html';
        request.querystring = {};
        delete request.headers.accept;
        cf.selectRequestOriginById('ui');
        return request;
    }
    foldOptions(request);
    if (cacheable) {
        var accept = request.headers.accept;
        var cls = accept ? acceptClass(accept.value) : '';
        if (cls) {
            request.headers.accept = { value: cls };
        } else {
            delete request.headers.accept;
        }
    }
    return request;
}

function foldOptions(request) {
    var query = {};
    var names = Object.keys(request.querystring);
    var i;
    for (i = 0; i < names.length; i++) {
        query[names[i].toLowerCase()] = request.querystring[names[i]];
    }
    var headers = Object.keys(request.headers);
    for (i = 0; i < headers.length; i++) {
        var h = headers[i];
        if (h.length > OPTION.length && h.slice(0, OPTION.length) === OPTION) {
            query[h.slice(OPTION.length).toLowerCase()] = { value: request.headers[h].value };
            delete request.headers[h];
        }
    }
    var sorted = {};
    var keys = Object.keys(query).sort();
    for (i = 0; i < keys.length; i++) {
        sorted[keys[i]] = query[keys[i]];
    }
    request.querystring = sorted;
}

// acceptClass mirrors the API's reading of Accept (internal/render's
// errorFormat): media ranges by falling q, stable; the first that names a
// class decides.
function acceptClass(accept) {
    var ranges = [];
    var parts = accept.split(',');
    var i;
    for (i = 0; i < parts.length; i++) {
        var fields = parts[i].split(';');
        var type = fields[0].trim().toLowerCase();
        var q = 1;
        for (var j = 1; j < fields.length; j++) {
            var kv = fields[j].split('=');
            if (kv.length === 2 && kv[0].trim() === 'q') {
                var n = parseFloat(kv[1].trim());
                if (!isNaN(n)) {
                    q = n;
                }
            }
        }
        if (type !== '' && q > 0) {
            ranges.push({ type: type, q: q, at: i });
        }
    }
    ranges.sort(function (a, b) { return b.q - a.q || a.at - b.at; });
    for (i = 0; i < ranges.length; i++) {
        var t = ranges[i].type;
        if (t === 'application/json') {
            return 'application/json';
        }
        if (t === 'text/plain' || t === 'text/html' || t === '*/*') {
            return 'text/plain';
        }
        if (t.slice(0, 6) === 'image/') {
            return 'image/*';
        }
    }
    return '';
}
