// Package awstest serves wire-level stand-ins, on loopback, for the AWS
// APIs that have no local server: the Route 53 record API (REST-XML) and
// SNS Publish (query protocol). Real SDK clients talk to them through
// their endpoint settings; faults (5xx, throttling, a change that never
// reaches INSYNC) are switched on by the test.
package awstest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const route53NS = "https://route53.amazonaws.com/doc/2013-04-01/"

// RecordSet is a Route 53 resource record set, as the API's XML has it.
type RecordSet struct {
	Name          string   `xml:"Name"`
	Type          string   `xml:"Type"`
	SetIdentifier string   `xml:"SetIdentifier,omitempty"`
	Weight        *int64   `xml:"Weight,omitempty"`
	TTL           int64    `xml:"TTL,omitempty"`
	Values        []string `xml:"ResourceRecords>ResourceRecord>Value"`
}

type change struct {
	Action    string    `xml:"Action"`
	RecordSet RecordSet `xml:"ResourceRecordSet"`
}

// Route53 is a hosted zone's record API.
type Route53 struct {
	*httptest.Server
	Zone string

	mu      sync.Mutex
	records []RecordSet
	changes map[string]int // change id -> GetChange polls so far

	// Faults, set by tests.
	Fail5xx     atomic.Int64 // answer the next N requests with 500
	Throttle    atomic.Int64 // answer the next N requests with Throttling
	NeverSync   atomic.Bool  // GetChange stays PENDING
	PollsToSync int64        // GetChange polls before INSYNC (default 1)

	Requests atomic.Int64
	Batches  atomic.Int64 // ChangeResourceRecordSets calls that succeeded
}

// NewRoute53 serves a hosted zone with the given records.
func NewRoute53(t testing.TB, zone string, records ...RecordSet) *Route53 {
	r := &Route53{Zone: zone, records: records, changes: map[string]int{}, PollsToSync: 1}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

// Records returns the zone's record sets.
func (r *Route53) Records() []RecordSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RecordSet(nil), r.records...)
}

func (r *Route53) serve(w http.ResponseWriter, req *http.Request) {
	r.Requests.Add(1)
	if r.Fail5xx.Load() > 0 {
		r.Fail5xx.Add(-1)
		route53Error(w, http.StatusInternalServerError, "InternalFailure", "internal failure")
		return
	}
	if r.Throttle.Load() > 0 {
		r.Throttle.Add(-1)
		route53Error(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	}
	path := strings.TrimPrefix(req.URL.Path, "/2013-04-01")
	switch {
	case req.Method == http.MethodPost && path == "/hostedzone/"+r.Zone+"/rrset":
		r.changeRecords(w, req)
	case req.Method == http.MethodGet && path == "/hostedzone/"+r.Zone+"/rrset":
		r.listRecords(w)
	case req.Method == http.MethodGet && strings.HasPrefix(path, "/change/"):
		r.getChange(w, strings.TrimPrefix(path, "/change/"))
	default:
		route53Error(w, http.StatusNotFound, "NoSuchHostedZone", "no such hosted zone: "+path)
	}
}

func (r *Route53) changeRecords(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Changes []change `xml:"ChangeBatch>Changes>Change"`
	}
	raw, _ := io.ReadAll(req.Body)
	if err := xml.Unmarshal(raw, &body); err != nil || len(body.Changes) == 0 {
		route53Error(w, http.StatusBadRequest, "InvalidInput", "bad change batch")
		return
	}
	r.mu.Lock()
	for _, c := range body.Changes {
		if c.Action != "UPSERT" {
			r.mu.Unlock()
			route53Error(w, http.StatusBadRequest, "InvalidChangeBatch", "only UPSERT is served here")
			return
		}
	}
	for _, c := range body.Changes {
		replaced := false
		for i, rs := range r.records {
			if rs.Name == c.RecordSet.Name && rs.Type == c.RecordSet.Type && rs.SetIdentifier == c.RecordSet.SetIdentifier {
				r.records[i], replaced = c.RecordSet, true
			}
		}
		if !replaced {
			r.records = append(r.records, c.RecordSet)
		}
	}
	id := fmt.Sprintf("C%06d", len(r.changes)+1)
	r.changes[id] = 0
	r.mu.Unlock()
	r.Batches.Add(1)
	writeXML(w, fmt.Sprintf(`<ChangeResourceRecordSetsResponse xmlns="%s"><ChangeInfo><Id>/change/%s</Id><Status>PENDING</Status><SubmittedAt>%s</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
		route53NS, id, time.Now().UTC().Format(time.RFC3339)))
}

func (r *Route53) listRecords(w http.ResponseWriter) {
	out, _ := xml.Marshal(struct {
		XMLName     xml.Name    `xml:"ListResourceRecordSetsResponse"`
		NS          string      `xml:"xmlns,attr"`
		Sets        []RecordSet `xml:"ResourceRecordSets>ResourceRecordSet"`
		IsTruncated bool        `xml:"IsTruncated"`
		MaxItems    int         `xml:"MaxItems"`
	}{NS: route53NS, Sets: r.Records(), MaxItems: 300})
	writeXML(w, string(out))
}

func (r *Route53) getChange(w http.ResponseWriter, id string) {
	r.mu.Lock()
	polls, ok := r.changes[id]
	if ok {
		r.changes[id] = polls + 1
	}
	r.mu.Unlock()
	if !ok {
		route53Error(w, http.StatusNotFound, "NoSuchChange", "no such change "+id)
		return
	}
	status := "PENDING"
	if !r.NeverSync.Load() && int64(polls+1) >= r.PollsToSync {
		status = "INSYNC"
	}
	writeXML(w, fmt.Sprintf(`<GetChangeResponse xmlns="%s"><ChangeInfo><Id>/change/%s</Id><Status>%s</Status><SubmittedAt>%s</SubmittedAt></ChangeInfo></GetChangeResponse>`,
		route53NS, id, status, time.Now().UTC().Format(time.RFC3339)))
}

func route53Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>awstest</RequestId></ErrorResponse>`, route53NS, code, msg)
}

func writeXML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+body)
}

// SNS records what is published to it.
type SNS struct {
	*httptest.Server
	mu       sync.Mutex
	messages []Message
}

// Message is one Publish.
type Message struct {
	TopicARN, Subject, Body string
}

// NewSNS serves SNS Publish.
func NewSNS(t testing.TB) *SNS {
	s := &SNS{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Messages returns what was published.
func (s *SNS) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

func (s *SNS) serve(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	form, err := url.ParseQuery(string(raw))
	if err != nil || form.Get("Action") != "Publish" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only Publish is served here</Message></Error></ErrorResponse>`)
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, Message{TopicARN: form.Get("TopicArn"), Subject: form.Get("Subject"), Body: form.Get("Message")})
	n := len(s.messages)
	s.mu.Unlock()
	writeXML(w, fmt.Sprintf(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-%d</MessageId></PublishResult><ResponseMetadata><RequestId>awstest</RequestId></ResponseMetadata></PublishResponse>`, n))
}
