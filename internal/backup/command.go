package backup

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/umlimages/umlimages/internal/obs"
)

// Event is what the function is invoked with: the EventBridge schedules'
// input ({"action":"backup","kind":"incremental"|"full"}) or an operator's
// manual event ({"action":"verify"|"list", "run": ...}).
type Event struct {
	Action string `json:"action"`
	Kind   string `json:"kind,omitempty"`
	Run    string `json:"run,omitempty"`
	// Details: list reads every manifest for its counts.
	Details bool `json:"details,omitempty"`
}

// Outcome answers an Event.
type Outcome struct {
	Action   string        `json:"action"`
	Manifest *RunSummary   `json:"run,omitempty"`
	Runs     []Summary     `json:"runs,omitempty"`
	Verify   *VerifyReport `json:"verify,omitempty"`
	OK       bool          `json:"ok"`
}

// RunSummary is a completed run, without its entries.
type RunSummary struct {
	Run     string `json:"run"`
	Kind    Kind   `json:"kind"`
	Objects int    `json:"objects"`
	Bytes   int64  `json:"bytes"`
	Deleted int    `json:"deleted"`
	Seconds int64  `json:"seconds"`
	// Continues: the run reached its deadline; the next invocation
	// finishes it from its checkpoint.
	Continues bool `json:"continues,omitempty"`
}

// Reporter writes each run's EMF record: objects and bytes copied,
// duration, failures, and the age of the newest manifest (what an RPO
// alarm watches).
type Reporter struct {
	log *slog.Logger
	emf *obs.EMF
}

// NewReporter returns a reporter writing to log under namespace.
func NewReporter(log *slog.Logger, namespace string) *Reporter {
	return &Reporter{log: log, emf: RunRecord.EMF(namespace)}
}

// RunRecord is the backup's EMF record, one per run, under Service=backup.
var RunRecord = obs.Record{Dimensions: []string{"Service"}, Metrics: []obs.MetricDef{
	{Name: "ObjectsCopied", Unit: obs.Count},
	{Name: "BytesCopied", Unit: obs.Bytes},
	{Name: "BackupDuration", Unit: obs.Milliseconds},
	{Name: "BackupFailures", Unit: obs.Count},
	{Name: "NewestBackupAge", Unit: "Seconds"},
	{Name: "VerifyProblems", Unit: obs.Count},
}}

// Handle runs one event. A failed backup run is returned as an error, so
// Lambda counts it (and retries the schedule's invocation).
func Handle(ctx context.Context, b *Backup, rep *Reporter, ev Event) (Outcome, error) {
	out := Outcome{Action: ev.Action, OK: true}
	switch ev.Action {
	case "backup", "":
		kind, err := ParseKind(ev.Kind)
		if err != nil {
			return out, err
		}
		start := b.now()
		m, err := b.Run(ctx, kind)
		age, _, ageErr := b.NewestAge(ctx)
		values := []float64{float64(len(m.Objects)), float64(m.Bytes), float64(b.now().Sub(start).Milliseconds()), 0, age.Seconds(), 0}
		if err != nil {
			values[3] = 1
			rep.log.LogAttrs(ctx, slog.LevelError, "backup failed", append(rep.emf.Attrs(nil, b.now(), []string{"backup"}, values...), slog.String("error", err.Error()))...)
			return Outcome{Action: "backup"}, err
		}
		if ageErr != nil {
			rep.log.WarnContext(ctx, "newest backup age unknown", "error", ageErr)
		}
		rs := RunSummary{Run: m.Run, Kind: m.Kind, Objects: len(m.Objects), Bytes: m.Bytes, Deleted: len(m.Deleted), Continues: m.Continues}
		if !m.Continues {
			rs.Seconds = int64(m.Finished.Sub(m.Started).Seconds())
		}
		out.Action, out.Manifest = "backup", &rs
		rep.log.LogAttrs(ctx, slog.LevelInfo, "backup completed", append(rep.emf.Attrs(nil, b.now(), []string{"backup"}, values...), slog.Any("run", rs))...)
	case "list":
		runs, err := b.List(ctx, ev.Details)
		if err != nil {
			return out, err
		}
		out.Runs = runs
	case "verify":
		v, err := b.Verify(ctx, ev.Run)
		if err != nil {
			return out, err
		}
		out.Verify, out.OK = &v, len(v.Problems) == 0
		level := slog.LevelInfo
		if !out.OK {
			level = slog.LevelError
		}
		rep.log.LogAttrs(ctx, level, "backup verified", append(rep.emf.Attrs(nil, b.now(), []string{"backup"}, 0, 0, 0, 0, 0, float64(len(v.Problems))), slog.Any("verify", v))...)
	default:
		return out, fmt.Errorf("backup: unknown action %q (backup, verify or list)", ev.Action)
	}
	return out, nil
}

// Command is the command line, the replaced service's backup-restore.sh verbs:
//
//	backup run [--full]
//	backup list [--details]
//	backup verify [RUN]
//	backup restore RUN|latest --to BUCKET[/PREFIX] [--overwrite]
//
// It returns the exit status: non-zero on any failure.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, b *Backup) int {
	usage := "usage: backup run [--full] | list [--details] | verify [RUN] | restore RUN|latest --to BUCKET[/PREFIX] [--overwrite]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("backup "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	full := fs.Bool("full", false, "copy everything, not only what changed")
	to := fs.String("to", "", "restore into BUCKET or BUCKET/PREFIX")
	overwrite := fs.Bool("overwrite", false, "replace objects newer than the backup")
	asJSON := fs.Bool("json", false, "print JSON")
	details := fs.Bool("details", false, "list: read every manifest for its counts")
	verb, rest := args[0], args[1:]
	var positional []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional, rest = append(positional, rest[0]), rest[1:]
		}
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "backup:", err)
		return 1
	}
	printJSON := func(v any) {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	}
	switch verb {
	case "run":
		kind := Incremental
		if *full {
			kind = Full
		}
		m, err := b.Run(ctx, kind)
		if err != nil {
			return fail(err)
		}
		if m.Continues {
			fmt.Fprintf(stdout, "%s: %d objects copied before the deadline; run again to finish it\n", m.Run, len(m.Objects))
			return 0
		}
		fmt.Fprintf(stdout, "%s: %d objects, %.1f MB copied, %d deletions recorded\n", m.Run, len(m.Objects), float64(m.Bytes)/1e6, len(m.Deleted))
	case "list":
		runs, err := b.List(ctx, *details)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			printJSON(runs)
			return 0
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tKIND\tFINISHED\tOBJECTS\tBYTES\tDELETED")
		for _, r := range runs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", r.Run, r.Kind, r.Finished.Format(time.RFC3339), r.Objects, r.Bytes, r.Deleted)
		}
		tw.Flush()
	case "verify":
		run := ""
		if len(positional) > 0 {
			run = positional[0]
		}
		v, err := b.Verify(ctx, run)
		if err != nil {
			return fail(err)
		}
		for _, p := range v.Problems {
			fmt.Fprintf(stdout, "%s\t%s\t(%s)\n", p.Reason, p.Key, p.Location)
		}
		fmt.Fprintf(stdout, "%s: %d objects checked, %d problems\n", v.Run, v.Checked, len(v.Problems))
		if v.Archived > 0 {
			fmt.Fprintf(stdout, "%d archived copies not read (a restore thaws them)\n", v.Archived)
		}
		if len(v.Problems) > 0 {
			return 1
		}
	case "restore":
		if len(positional) != 1 || *to == "" {
			fmt.Fprintln(stderr, usage)
			return 2
		}
		bucket, prefix, _ := strings.Cut(*to, "/")
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		run := positional[0]
		if run == "latest" {
			run = ""
		}
		r, err := b.Restore(ctx, run, bucket, prefix, *overwrite)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s: %d restored, %d unchanged, %d newer kept\n", r.Run, r.Restored, r.Unchanged, len(r.KeptNewer))
	default:
		return fail(errors.New(usage))
	}
	return 0
}
