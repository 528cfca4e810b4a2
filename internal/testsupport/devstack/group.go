package devstack

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Group runs the stack's parts and stops them together.
type Group struct {
	// Human shortens each request's JSON log line to one line for a
	// person (a terminal); other lines pass as they are.
	Human    bool
	out      io.Writer
	mu       sync.Mutex
	procs    []*exec.Cmd
	srvs     []*http.Server
	done     []chan struct{}
	stopping bool
	kept     sync.WaitGroup // supervisors
}

// NewGroup returns a group logging to out.
func NewGroup(out io.Writer) *Group { return &Group{out: out} }

// Prefixed returns a writer that prefixes each line with [name].
func (g *Group) Prefixed(name string) io.Writer {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if g.Human {
				line = humanLine(line)
			}
			g.mu.Lock()
			fmt.Fprintf(g.out, "%-7s %s\n", "["+name+"]", line)
			g.mu.Unlock()
		}
	}()
	return pw
}

// start runs a child in a process group of its own, so a Ctrl-C in the
// terminal reaches only the stack, which stops its parts in order.
func (g *Group) start(name string, env []string, bin string, args ...string) (chan struct{}, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping {
		return nil, fmt.Errorf("%s: the stack is stopping", name)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	w := g.Prefixed(name)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		g.mu.Lock()
		if g.stopping {
			fmt.Fprintf(g.out, "%-7s stopped\n", "["+name+"]")
		} else {
			fmt.Fprintf(g.out, "%-7s !!! %s exited unexpectedly (%v): restarting it\n", "["+name+"]", name, exitText(err))
		}
		g.mu.Unlock()
		close(done)
	}()
	g.procs, g.done = append(g.procs, cmd), append(g.done, done)
	return done, nil
}

// exitText says how a child ended.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Supervise runs a child and starts it again whenever it dies, until the
// group stops, saying so loudly: a crashed part comes back without taking
// the rest down.
func (g *Group) Supervise(name string, env []string, bin string, args ...string) error {
	done, err := g.start(name, env, bin, args...)
	if err != nil {
		return err
	}
	g.kept.Add(1)
	go func() {
		defer g.kept.Done()
		backoff := 500 * time.Millisecond
		for {
			started := time.Now()
			<-done
			if time.Since(started) > time.Minute {
				backoff = 500 * time.Millisecond
			}
			time.Sleep(backoff)
			backoff = min(2*backoff, 5*time.Second)
			if done, err = g.start(name, env, bin, args...); err != nil {
				return
			}
			g.mu.Lock()
			fmt.Fprintf(g.out, "%-7s restarted\n", "["+name+"]")
			g.mu.Unlock()
		}
	}()
	return nil
}

// Serve runs an HTTP server in this process.
func (g *Group) Serve(name, addr string, h http.Handler) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	g.mu.Lock()
	g.srvs = append(g.srvs, srv)
	g.mu.Unlock()
	return nil
}

// Stop stops every part: children get SIGTERM, then SIGKILL after 5 s.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopping = true
	procs, dones, srvs := g.procs, g.done, g.srvs
	g.mu.Unlock()
	for _, s := range srvs {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.Shutdown(ctx)
		cancel()
	}
	for i, p := range procs {
		p.Process.Signal(os.Interrupt)
		select {
		case <-dones[i]:
		case <-time.After(5 * time.Second):
			p.Process.Kill()
			<-dones[i]
		}
	}
	g.kept.Wait()
}

// humanLine is a request's log record as a person reads it:
// "GET /{type}/{format}/{encoded} 200 hit 0.4 ms (graphviz svg)"; any other line is
// returned as it is.
func humanLine(line string) string {
	var r struct {
		Msg     string  `json:"msg"`
		Method  string  `json:"method"`
		Route   string  `json:"route"`
		Status  int     `json:"status"`
		Cache   string  `json:"cache"`
		Latency float64 `json:"Latency"`
		Type    string  `json:"type"`
		Format  string  `json:"format"`
		Error   string  `json:"error_class"`
	}
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &r) != nil || r.Msg != "request served" {
		return line
	}
	route := r.Route // "GET /{type}/...", the method in it
	if route == "" {
		route = r.Method + " (no route)"
	}
	out := fmt.Sprintf("%s %d", route, r.Status)
	for _, part := range []string{r.Cache, r.Error} {
		if part != "" {
			out += " " + part
		}
	}
	out += fmt.Sprintf(" %.1f ms", r.Latency)
	if r.Type != "" {
		out += " (" + strings.TrimSpace(r.Type+" "+r.Format) + ")"
	}
	return out
}
