// Package backup copies the data bucket into a versioned backup bucket,
// server-side: a full run copies every object, an incremental run what
// changed since the last run; each run ends by writing its manifest, so a
// run without a manifest never happened and the next run redoes its work.
// A point in time is the latest full manifest plus the incrementals after
// it. Verify re-reads every object of a point in time against its SHA-256;
// restore rebuilds a bucket or prefix as of a run, idempotently.
package backup

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// Kind is a run's kind.
type Kind string

// Kinds of run.
const (
	Full        Kind = "full"
	Incremental Kind = "incremental"
)

// ParseKind reads a kind; empty means incremental.
func ParseKind(s string) (Kind, error) {
	switch Kind(s) {
	case "", Incremental:
		return Incremental, nil
	case Full:
		return Full, nil
	}
	return "", fmt.Errorf("backup: kind %q is not full or incremental", s)
}

// Entry is one backed-up object.
type Entry struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"` // hex, of the content
	ETag         string    `json:"sourceETag"`
	VersionID    string    `json:"sourceVersion,omitempty"`
	LastModified time.Time `json:"lastModified"`
	Location     string    `json:"location"` // the copy's key in the backup bucket
}

// Manifest records one completed run.
type Manifest struct {
	Run      string    `json:"run"`
	Kind     Kind      `json:"kind"`
	Base     string    `json:"base,omitempty"` // an incremental's previous run
	Source   string    `json:"source"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Objects  []Entry   `json:"objects"` // copied by this run
	Deleted  []string  `json:"deleted,omitempty"`
	Bytes    int64     `json:"bytes"`
	// Continues: the run stopped at its deadline with a checkpoint; the
	// next invocation finishes it (no manifest yet).
	Continues bool `json:"-"`
}

// Layout of the backup bucket.
// Each part has its top-level folder (what the lifecycle rules match),
// then the source's namespace, if any: runs/<ns>/<run>/<key>,
// manifests/<ns>/<run>.json, index/<ns>/latest.json and checkpoint.json.
type layout struct {
	manifests, runs, index, checkpoint string
}

func newLayout(namespace string) layout {
	ns := ""
	if namespace != "" {
		ns = strings.Trim(namespace, "/") + "/"
	}
	return layout{manifests: "manifests/" + ns, runs: "runs/" + ns, index: "index/" + ns + "latest.json", checkpoint: "index/" + ns + "checkpoint.json"}
}

// kindOf reads a run's kind from its id.
func kindOf(run string) Kind {
	if strings.HasSuffix(run, "-"+string(Full)) {
		return Full
	}
	return Incremental
}

func (l layout) manifestKey(run string) string { return l.manifests + run + ".json" }

func (l layout) runFromManifestKey(key string) string {
	return strings.TrimSuffix(strings.TrimPrefix(key, l.manifests), ".json")
}

// runID names a run so that names sort by time: 20261129T020000.123Z-full.
func runID(t time.Time, k Kind) string {
	return t.UTC().Format("20060102T150405.000Z") + "-" + string(k)
}

// State is the source bucket as of a run: every object, by key.
type State map[string]Entry

// compose applies manifests in order to st (a full resets it); st may be
// nil.
func compose(ms []Manifest, st State) State {
	st = maps.Clone(st)
	if st == nil {
		st = State{}
	}
	for _, m := range ms {
		if m.Kind == Full {
			st = State{}
		}
		for _, e := range m.Objects {
			st[e.Key] = e
		}
		for _, k := range m.Deleted {
			delete(st, k)
		}
	}
	return st
}

// noRun says a run does not exist, and which do: the newest few.
func noRun(ms []Manifest, run string) error {
	if len(ms) == 0 {
		return fmt.Errorf("backup: no run %s: there are no backups yet (backup run --full makes one)", run)
	}
	var newest []string
	for i := len(ms) - 1; i >= 0 && len(newest) < 5; i-- {
		newest = append(newest, ms[i].Run)
	}
	return fmt.Errorf("backup: no run %s; the newest of the %d runs: %s (list shows them all; latest names the newest)",
		run, len(ms), strings.Join(newest, ", "))
}

// chain picks the manifests that make the point in time of run: the latest
// full at or before it and the incrementals after that full up to run. ms
// is sorted by run.
func chain(ms []Manifest, run string) ([]Manifest, error) {
	end := sort.Search(len(ms), func(i int) bool { return ms[i].Run > run })
	if run != "" && (end == 0 || ms[end-1].Run != run) {
		return nil, noRun(ms, run)
	}
	if run == "" {
		end = len(ms)
	}
	for i := end - 1; i >= 0; i-- {
		if ms[i].Kind == Full {
			return ms[i:end], nil
		}
	}
	return nil, fmt.Errorf("backup: no full backup at or before %s", run)
}

// Keys returns the state's keys, sorted.
func (s State) Keys() []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
