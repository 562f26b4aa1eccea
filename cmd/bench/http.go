package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/stripe-mcp/stripe-mcp/internal/stripefake"
)

// runFake serves the fast Stripe stand-in over loopback HTTP.
func runFake() { serveChild(stripefake.Handler) }

// serveChild serves the handler made by handler on a loopback port for the
// process that started this one (startChild): it prints the URL, then
// serves until stdin closes. Stdout is reserved for the URL before the
// handler is made (stripe-mock prints as it loads its spec).
func serveChild(handler func() http.Handler) {
	out := reserveStdout()
	srv := httptest.NewServer(handler())
	fmt.Fprintln(out, srv.URL)
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// runFloor serves the baseline of the HTTP figures: a bare net/http handler
// that answers every POST at once, as an SSE event carrying a result the
// size of a stripe_get_customer result, with no MCP and no Stripe behind it.
func runFloor() {
	result := `{"content":[{"type":"text","text":"` + strings.Repeat("x", 300) + `"}],"structuredContent":{"id":"cus_NffrFeUfNV2Hib","email":"jennyrosen@example.com"}}`
	serveChild(func() http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Mcp-Session-Id", "floor")
			_, rest, ok := bytes.Cut(body, []byte(`"id":`))
			if !ok {
				w.WriteHeader(http.StatusAccepted)
				return
			}
			end := bytes.IndexAny(rest, ",}")
			if end < 0 {
				end = len(rest)
			}
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}\n\n", rest[:end], result)
		})
	})
}

// startChild runs this program again with flag (a -serve-… mode) and
// returns the URL it prints and a func that stops it.
func startChild(flag string) (string, func()) {
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(self, flag)
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		log.Fatalf("%s: %v", flag, err)
	}
	return strings.TrimSpace(url), func() { in.Close(); cmd.Wait() }
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

const benchToken = "bench-token-0123456789abcdef"

// runHTTPBench measures calls per second and latency over /mcp and /ws at
// several concurrencies, and the memory an idle session costs. With
// inProcess, bin answers Stripe requests itself (a -tags benchfake build);
// otherwise a fake in a process of its own does, over loopback HTTP.
func runHTTPBench(r *report, bin string, duration time.Duration, extraEnv []string, inProcess bool) {
	// A binary that is not a benchfake build sends its Stripe requests to
	// a port where nothing listens: every call fails and the bench says so.
	fakeURL, where := "http://127.0.0.1:9", "in the server's process (-tags benchfake)"
	if !inProcess {
		url, stopFake := startChild("-serve-fake")
		defer stopFake()
		fakeURL, where = url, "in its own process"
	}
	addr := freePort()
	cmd := exec.Command(bin, "http", "--listen", addr)
	dataDir, _ := os.MkdirTemp("", "bench-http")
	defer os.RemoveAll(dataDir)
	cmd.Env = append(append(os.Environ(), extraEnv...), "STRIPE_API_KEY="+key, "STRIPE_API_BASE="+fakeURL, "STRIPE_MCP_AUTH_TOKEN="+benchToken, "STRIPE_MCP_DATA_DIR="+dataDir, "STRIPE_MCP_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			log.Fatal("the server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

	r.head("HTTP transports — %s of calls per concurrency; fast Stripe fake %s; load from bare HTTP/1.1 and WebSocket clients in this process", duration, where)
	var at50 float64
	for _, via := range []string{"/mcp", "/ws"} {
		for _, n := range []int{1, 10, 50} {
			cpu0 := cpuTime(cmd.Process.Pid)
			rate, lat := load(client, base, via, n, 0, duration)
			cpu := cpuTime(cmd.Process.Pid) - cpu0
			perCall := time.Duration(0)
			if len(lat) > 0 {
				perCall = cpu / time.Duration(len(lat))
			}
			r.line(fmt.Sprintf("%s, %d session(s)", via, n), "%7.0f calls/s   p50 %6.2f ms   p99 %6.2f ms   server CPU %4.0f µs/call", rate, ms(pct(lat, 50)), ms(pct(lat, 99)), float64(perCall.Microseconds()))
			if n == 50 && via == "/mcp" {
				at50 = rate
			}
		}
	}
	// Baseline: the same load against a bare handler, for what this
	// machine's two cores allow HTTP round trips at all in this run.
	floorURL, stopFloor := startChild("-serve-floor")
	floorRate, floorLat := load(client, floorURL, "/mcp", 50, 0, duration)
	stopFloor()
	r.line("  baseline: bare net/http handler, 50 sessions", "%7.0f calls/s   p50 %6.2f ms   p99 %6.2f ms; /mcp reaches %.0f%% of its rate", floorRate, ms(pct(floorLat, 50)), ms(pct(floorLat, 99)), 100*at50/floorRate)
	r.target("≥ 5,000 calls/s at 50 sessions over /mcp", at50 >= 5000)

	// Latency at the target's rate: the sessions above send as fast as they
	// can, so by Little's law their mean latency is 50 sessions / rate, set
	// by the queue they build, not by the server. Here 50 sessions each send
	// a call every 10 ms (5,000 calls/s in all) and a call's latency runs
	// from when it was due, so a call held up behind a slow one counts the
	// wait too.
	for _, via := range []string{"/mcp", "/ws"} {
		rate, lat := load(client, base, via, 50, 5000, duration)
		r.line(fmt.Sprintf("%s, 50 sessions at 5,000 calls/s", via), "%7.0f calls/s   p50 %6.2f ms   p99 %6.2f ms   (p90 %.2f, p99.9 %.2f ms)", rate, ms(pct(lat, 50)), ms(pct(lat, 99)), ms(pct(lat, 90)), ms(pct(lat, 99.9)))
		if via == "/mcp" {
			r.target("p99 ≤ 20 ms at 5,000 calls/s from 50 sessions over /mcp", rate >= 4900 && pct(lat, 99) <= 20*time.Millisecond)
		}
	}
	fmt.Fprintln(r.w)

	// Idle sessions: open many, measure the server's resident memory.
	idle := 1000
	before := residentKB(cmd.Process.Pid)
	var sessions []*mcpSession
	for range idle {
		s, err := openSession(client, base)
		if err != nil {
			log.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	time.Sleep(200 * time.Millisecond)
	after := residentKB(cmd.Process.Pid)
	per := float64(after-before) / float64(idle)
	r.line(fmt.Sprintf("%d idle Streamable HTTP sessions", idle), "%.1f KB each (server RSS %d → %d KB)", per, before, after)
	r.target("≤ 64 KB per idle session", after > 0 && per <= 64)
	for _, s := range sessions {
		s.close()
	}
}

// cpuTime is the user and system CPU time a process has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // clock ticks of 10 ms
}

// residentKB is VmRSS of a process, in KiB.
func residentKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// load runs n sessions on via for d and returns the calls per second and
// the latency of every call. With perSecond 0 each session calls again as
// soon as it is answered and a call's latency runs from when it was sent;
// otherwise the sessions together send perSecond calls a second on a fixed
// schedule and a call's latency runs from when it was due, so a call held
// up behind a slow one counts its wait too.
func load(client *http.Client, base, via string, n, perSecond int, d time.Duration) (float64, []time.Duration) {
	var (
		mu   sync.Mutex
		all  []time.Duration
		wg   sync.WaitGroup
		errs int
		last time.Time // when the last session made its last call
	)
	var every time.Duration
	if perSecond > 0 {
		every = time.Duration(n) * time.Second / time.Duration(perSecond)
	}
	ready := make(chan time.Time)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call, done := dial(client, base, via)
			defer done()
			start := <-ready
			var mine []time.Duration
			// On a schedule, each session's is offset so the calls spread
			// evenly.
			due := start.Add(every * time.Duration(i) / time.Duration(n))
			stop := start.Add(d)
			for id := 10; ; id++ {
				if every == 0 {
					due = time.Now()
				}
				if !due.Before(stop) {
					break
				}
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
				if err := call(id); err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
				} else {
					mine = append(mine, time.Since(due))
				}
				due = due.Add(every)
			}
			mu.Lock()
			all = append(all, mine...)
			if now := time.Now(); now.After(last) {
				last = now
			}
			mu.Unlock()
		}()
	}
	time.Sleep(100 * time.Millisecond) // sessions opened
	start := time.Now()
	for range n {
		ready <- start
	}
	wg.Wait()
	if errs > 0 {
		log.Printf("%s with %d sessions (%d calls/s scheduled; 0: flat out): %d failed calls", via, n, perSecond, errs)
	}
	slices.Sort(all)
	return float64(len(all)) / last.Sub(start).Seconds(), all
}

// dial opens a session on via and returns its call and close funcs.
func dial(client *http.Client, base, via string) (func(id int) error, func()) {
	if via == "/mcp" {
		s, err := openSession(client, base)
		if err != nil {
			log.Fatal(err)
		}
		return s.call, s.close
	}
	s, err := openWS(base)
	if err != nil {
		log.Fatal(err)
	}
	return s.call, s.close
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`

// mcpSession is a bare Streamable HTTP client. Its calls go over a
// keep-alive connection of its own, written by hand and read with
// http.ReadResponse: the load generator shares the machine's cores with the
// server, so it spends as little of them as it can (net/http's client costs
// about as much again per call).
type mcpSession struct {
	client *http.Client // for the handshake and DELETE
	base   string
	id     string
	conn   net.Conn
	br     *bufio.Reader
	buf    []byte
}

func openSession(client *http.Client, base string) (*mcpSession, error) {
	s := &mcpSession{client: client, base: base}
	resp, err := s.post(initBody)
	if err != nil {
		return nil, err
	}
	s.id = resp.Header.Get("Mcp-Session-Id")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if s.id == "" {
		return nil, fmt.Errorf("no session id (status %d)", resp.StatusCode)
	}
	resp, err = s.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return s, nil
}

func (s *mcpSession) post(body string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodPost, s.base+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
	}
	return s.client.Do(req)
}

func toolCall(id int) string {
	return `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"stripe_get_customer","arguments":{"customerId":"cus_NffrFeUfNV2Hib"}}}`
}

func (s *mcpSession) call(id int) error {
	if s.conn == nil {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
		if err != nil {
			return err
		}
		s.conn, s.br = c, bufio.NewReader(c)
	}
	body := toolCall(id)
	b := append(s.buf[:0], "POST /mcp HTTP/1.1\r\nHost: "...)
	b = append(b, strings.TrimPrefix(s.base, "http://")...)
	b = append(b, "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nAuthorization: Bearer "+benchToken+"\r\nMCP-Protocol-Version: 2025-06-18\r\nMcp-Session-Id: "...)
	b = append(b, s.id...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	s.buf = b
	if _, err := s.conn.Write(b); err != nil {
		return err
	}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(`"id":`+strconv.Itoa(id)+`,`)) || bytes.Contains(data, []byte(`"isError":true`)) {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, data)
	}
	return nil
}

func (s *mcpSession) close() {
	if s.conn != nil {
		s.conn.Close()
	}
	req, _ := http.NewRequest(http.MethodDelete, s.base+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Mcp-Session-Id", s.id)
	if resp, err := s.client.Do(req); err == nil {
		resp.Body.Close()
	}
}

// wsSession is a bare WebSocket client.
type wsSession struct{ c *websocket.Conn }

func openWS(base string) (*wsSession, error) {
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/ws?access_token="+benchToken, &websocket.DialOptions{Subprotocols: []string{"mcp"}})
	if err != nil {
		return nil, err
	}
	s := &wsSession{c: c}
	if err := c.Write(ctx, websocket.MessageText, []byte(initBody)); err != nil {
		return nil, err
	}
	if _, _, err := c.Read(ctx); err != nil {
		return nil, err
	}
	return s, c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
}

func (s *wsSession) call(id int) error {
	ctx := context.Background()
	if err := s.c.Write(ctx, websocket.MessageText, []byte(toolCall(id))); err != nil {
		return err
	}
	_, data, err := s.c.Read(ctx)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(`"id":`+strconv.Itoa(id)+`,`)) || bytes.Contains(data, []byte(`"isError":true`)) {
		return fmt.Errorf("%.200s", data)
	}
	return nil
}

func (s *wsSession) close() { s.c.Close(websocket.StatusNormalClosure, "") }
