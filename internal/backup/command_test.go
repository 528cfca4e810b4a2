package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/backup"
)

func TestCommandVerbs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 30, 7)
	var progress bytes.Buffer
	b := e.backup(backup.Options{Progress: backup.NewProgress(&progress, false)})
	run := func(args ...string) (int, string) {
		var out, errs bytes.Buffer
		code := backup.Command(ctx, args, &out, &errs, b)
		return code, out.String() + errs.String()
	}
	if code, out := run("run", "--full"); code != 0 || !strings.Contains(out, "30 objects") {
		t.Fatalf("run --full: %d %s", code, out)
	}
	if !strings.Contains(progress.String(), "30/30 objects") {
		t.Errorf("progress lines: %q", progress.String())
	}
	e.put(t, "diagrams/later.json", []byte(`{}`))
	if code, out := run("run"); code != 0 || !strings.Contains(out, "1 objects") {
		t.Fatalf("run: %d %s", code, out)
	}
	code, out := run("list", "--json")
	var runs []backup.Summary
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 2 || runs[1].Kind != backup.Incremental {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out := run("list"); code != 0 || !strings.Contains(out, "RUN") || !strings.Contains(out, runs[0].Run) {
		t.Errorf("list table: %s", out)
	}
	if code, out := run("verify"); code != 0 || !strings.Contains(out, "31 objects checked, 0 problems") {
		t.Errorf("verify: %d %s", code, out)
	}
	e.wipe(t, e.data)
	if code, out := run("restore", runs[1].Run, "--to", e.data); code != 0 || !strings.Contains(out, "31 restored") {
		t.Errorf("restore: %d %s", code, out)
	}
	if code, out := run("restore", "latest", "--to", e.data+"/copy"); code != 0 || !strings.Contains(out, runs[1].Run+": 31 restored") {
		t.Errorf("restore latest under a prefix: %d %s", code, out)
	}
	// An unknown run: the error names the runs there are.
	if code, out := run("restore", "20200101T000000.000Z-full", "--to", e.data); code == 0 || !strings.Contains(out, runs[1].Run) || !strings.Contains(out, runs[0].Run) {
		t.Errorf("restore of an unknown run: %d %s", code, out)
	}
	// A damaged backup: verify names the object and exits non-zero.
	m := runs[0]
	bad := "runs/" + m.Run + "/diagrams/00004.json"
	e.del(t, e.vault, bad)
	if code, out := run("verify", m.Run); code != 1 || !strings.Contains(out, "missing\tdiagrams/00004.json") {
		t.Errorf("verify of a damaged backup: %d %s", code, out)
	}
	for _, args := range [][]string{nil, {"restore"}, {"restore", m.Run}, {"nope"}} {
		if code, _ := run(args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	if code, _ := run("verify", "no-such-run"); code == 0 {
		t.Error("verify of an unknown run: exit 0")
	}
}

func TestHandle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 5, 8)
	var logs bytes.Buffer
	rep := backup.NewReporter(slog.New(slog.NewJSONHandler(&logs, nil)), "UMLImages")
	b := e.backup(backup.Options{})
	out, err := backup.Handle(ctx, b, rep, backup.Event{Action: "backup", Kind: "full"})
	if err != nil || !out.OK || out.Manifest.Objects != 5 || out.Manifest.Kind != backup.Full {
		t.Fatalf("backup: %+v, %v", out, err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.Split(logs.String(), "\n")[0]), &line); err != nil {
		t.Fatal(err)
	}
	if line["ObjectsCopied"] != 5.0 || line["BackupFailures"] != 0.0 || line["NewestBackupAge"].(float64) > 60 || line["_aws"] == nil {
		t.Errorf("EMF line: %v", line)
	}
	if out, err := backup.Handle(ctx, b, rep, backup.Event{Action: "verify"}); err != nil || !out.OK {
		t.Errorf("verify: %+v, %v", out, err)
	}
	if out, err := backup.Handle(ctx, b, rep, backup.Event{Action: "list"}); err != nil || len(out.Runs) != 1 {
		t.Errorf("list: %+v, %v", out, err)
	}
	if _, err := backup.Handle(ctx, b, rep, backup.Event{Action: "explode"}); err == nil {
		t.Error("an unknown action succeeded")
	}
	e.srv.Stop()
	logs.Reset()
	if _, err := backup.Handle(ctx, b, rep, backup.Event{Action: "backup"}); err == nil {
		t.Fatal("a backup with S3 down succeeded")
	}
	if !strings.Contains(logs.String(), `"BackupFailures":1`) {
		t.Errorf("the failure was not counted: %s", logs.String())
	}
}
