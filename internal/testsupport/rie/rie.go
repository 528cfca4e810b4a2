// Package rie runs a Lambda bootstrap under the AWS Lambda Runtime
// Interface Emulator (aws-lambda-rie, the emulator inside SAM's containers)
// on loopback, and invokes it with events, one at a time (overlapping
// invokes crash the emulator).
package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/umlimages/umlimages/internal/testsupport/binpath"
)

// Emulator is a running aws-lambda-rie with one function.
type Emulator struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex // serialises invokes
	logs *lockedBuffer
}

// Options configure an Emulator.
type Options struct {
	// Binary is the emulator; default: aws-lambda-rie from $AWS_LAMBDA_RIE,
	// the PATH, or the repository's bin/.
	Binary string
	// Env is the function's environment. The function sees it and what
	// Lambda itself sets (PATH, LANG, TZ, the function's name and timeout),
	// nothing of this machine's: no HOME, no AWS_CA_BUNDLE, no profile.
	Env []string
	// Timeout is the function timeout the emulator enforces.
	Timeout time.Duration
	// Logs receives the emulator's and the function's output; nil keeps it
	// for Logs().
	Logs io.Writer
}

// Start runs bootstrap under the emulator on free loopback ports and waits
// until it accepts invocations.
func Start(bootstrap string, o Options) (*Emulator, error) {
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = binpath.Find("aws-lambda-rie", "AWS_LAMBDA_RIE"); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(bootstrap)
	if err != nil {
		return nil, err
	}
	emu, err := freeAddr()
	if err != nil {
		return nil, err
	}
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	cmd := exec.Command(bin, "--runtime-interface-emulator-address", emu, "--runtime-api-address", api, abs)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LANG=en_US.UTF-8", "TZ=:UTC"}, o.Env...)
	cmd.Env = append(cmd.Env,
		"AWS_LAMBDA_FUNCTION_NAME="+filepath.Base(filepath.Dir(abs)),
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(timeout.Seconds())),
	)
	e := &Emulator{url: "http://" + emu + "/2015-03-31/functions/function/invocations", cmd: cmd, done: make(chan struct{}), logs: &lockedBuffer{}}
	var out io.Writer = e.logs
	if o.Logs != nil {
		out = io.MultiWriter(o.Logs, e.logs)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rie: start %s: %w", bin, err)
	}
	go func() { cmd.Wait(); close(e.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-e.done:
			return nil, fmt.Errorf("rie: emulator exited at start: %s", e.logs.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", emu, 100*time.Millisecond); err == nil {
			c.Close()
			return e, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.Stop()
	return nil, errors.New("rie: emulator not listening")
}

// Invoke sends one event and returns the function's response payload.
// A function error comes back as a payload with errorMessage and errorType
// (the emulator answers 200, unlike Lambda).
func (e *Emulator) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("rie: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if len(bytes.TrimSpace(body)) == 0 {
			return body, fmt.Errorf("rie: invoke answered %d; the function's and the emulator's last words:\n%s", resp.StatusCode, e.lastErrors())
		}
		return body, fmt.Errorf("rie: invoke answered %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// Logs is what the emulator and the function printed so far.
func (e *Emulator) Logs() string { return e.logs.String() }

// Stop stops the emulator and the function.
func (e *Emulator) Stop() {
	if e.cmd.Process != nil {
		e.cmd.Process.Kill()
		<-e.done
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// lastErrors is what the function printed and what the emulator logged
// as an error or a warning, the last dozen lines.
func (e *Emulator) lastErrors() string {
	var keep []string
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if line != "" && (!strings.Contains(line, "(rapid)") || strings.Contains(line, "[ERROR]") || strings.Contains(line, "[WARNING]")) &&
			!strings.HasPrefix(line, "START ") && !strings.HasPrefix(line, "END ") && !strings.HasPrefix(line, "REPORT ") {
			keep = append(keep, "  "+line)
		}
	}
	return strings.Join(keep[max(0, len(keep)-12):], "\n")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
