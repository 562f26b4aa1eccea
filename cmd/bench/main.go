// Command bench measures stripe-mcp against the targets in the README: time
// from process start to the initialize response, peak memory of a stdio
// session, the size of tools/list and of results, and the overhead a tool
// call adds over calling Stripe directly. Every figure is reported next to a
// baseline measured in the same run.
//
//	go run ./cmd/bench [-n 40] [-calls 200]
package main

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-mock/embedded"

	"github.com/stripe-mcp/stripe-mcp/internal/sandbox"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

const key = "sk_test_0123456789abcdefghijklmnopqrstuv"

func main() {
	n := flag.Int("n", 40, "process starts to time")
	calls := flag.Int("calls", 500, "tool calls to time")
	binary := flag.String("binary", "", "stripe-mcp binary (default: build one, static, as released)")
	serveMock := flag.Bool("serve-mock", false, "internal: serve stripe-mock on a loopback port, print its URL, exit when stdin closes")
	serveFake := flag.Bool("serve-fake", false, "internal: serve a fast Stripe fake likewise")
	serveDeclines := flag.Bool("serve-declines", false, "internal: serve stripe-mock declining every payment, likewise")
	serveFloor := flag.Bool("serve-floor", false, "internal: serve the bare HTTP handler the -http figures are compared with, likewise")
	httpMode := flag.Bool("http", false, "measure the HTTP transports (calls/s, latency, idle-session memory) instead")
	duration := flag.Duration("duration", 3*time.Second, "with -http: how long each load step runs")
	serverEnv := flag.String("server-env", "", "extra environment for the server, space-separated NAME=VALUE pairs (e.g. GOGC=200)")
	fake := flag.String("fake", "inprocess", "with -http: where the fast Stripe fake runs: inprocess (in the server, through a binary built with -tags benchfake) or process (a process of its own, over loopback HTTP)")
	flag.Parse()
	log.SetFlags(0)
	if *serveMock {
		runMock(false)
		return
	}
	if *serveDeclines {
		runMock(true)
		return
	}
	if *serveFake {
		runFake()
		return
	}
	if *serveFloor {
		runFloor()
		return
	}

	// stripe-mock prints every request on stdout; the report gets its own
	// handle and the process's stdout goes to /dev/null.
	out := reserveStdout()

	bin := *binary
	if bin == "" {
		dir, err := os.MkdirTemp("", "stripe-mcp-bench")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "stripe-mcp")
		args := []string{"build", "-trimpath", "-o", bin}
		if *httpMode && *fake == "inprocess" {
			args = append(args, "-tags", "benchfake")
		}
		// Static, as released (the Dockerfile and CI build it so): a cgo
		// build is linked dynamically and pays the loader at every start.
		build := exec.Command("go", append(args, "./cmd/stripe-mcp")...)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("building stripe-mcp: %v", err)
		}
	}
	if *httpMode {
		r := &report{w: out}
		r.head("stripe-mcp bench -http — %s/%s, %d CPU, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
		if *fake != "inprocess" && *fake != "process" {
			log.Fatalf("-fake %q: use inprocess or process", *fake)
		}
		runHTTPBench(r, bin, *duration, strings.Fields(*serverEnv), *fake == "inprocess")
		fmt.Fprintf(out, "\n%d of %d targets met\n", r.met, r.targets)
		if r.met != r.targets {
			os.Exit(1)
		}
		return
	}
	// stripe-mock runs in a process of its own, as Stripe is remote: neither
	// the server nor the direct baseline shares a process with it.
	mockURL, stopMock := startMock()
	defer stopMock()
	env := append(os.Environ(), "STRIPE_API_KEY="+key, "STRIPE_API_BASE="+mockURL, "STRIPE_MCP_DATA_DIR="+os.TempDir())
	env = append(env, strings.Fields(*serverEnv)...)

	r := &report{w: out}
	r.head("stripe-mcp bench — %s/%s, %d CPU, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))

	// 1. Start-up: process start → initialize response, against the floor of
	// starting the same binary to print its version.
	floor := timeStarts(*n, func() time.Duration { return startVersion(bin, env) })
	var lists []time.Duration
	init := timeStarts(*n, func() time.Duration {
		i, l := startInitialize(bin, env)
		lists = append(lists, l)
		return i
	})
	lists = lists[1:] // the warm-up start
	r.line("start → initialize response", "median %.2f ms (p90 %.2f ms)", ms(median(init)), ms(pct(init, 90)))
	r.line("  baseline: start → exit of `stripe-mcp --version`", "median %.2f ms; initialize costs %.2fx the bare process start", ms(median(floor)), float64(median(init))/float64(median(floor)))
	r.line("  then initialized + tools/list: start → tool list", "median %.2f ms (p90 %.2f ms)", ms(median(lists)), ms(pct(lists, 90)))
	r.target("median ≤ 10 ms", ms(median(init)) <= 10)

	// 2. A stdio session making 100 calls: peak RSS.
	cs, cmd := connect(bin, env)
	cusID, _ := hundredCalls(cs)
	peak := peakRSS(cmd.Process.Pid)
	codeRSS, anonRSS := readOnlyPagesKB(cmd.Process.Pid, bin), procStatusKB(cmd.Process.Pid, "RssAnon:")
	floorRSS := initRSS(bin, env)
	r.line("peak RSS, stdio session with 100 calls", "%.1f MB", float64(peak)/1024)
	r.line("  baseline: peak RSS right after initialize", "%.1f MB; 100 calls later %.2fx that", float64(floorRSS)/1024, float64(peak)/float64(max(floorRSS, 1)))
	// Where it is: the binary's own pages (code, type data, the function
	// tables the runtime reads) against everything the process allocated.
	if mapped := codeAndTables(bin); mapped > 0 && codeRSS > 0 {
		r.line("  of which the binary's code and read-only tables", "%.1f MB resident at the end: %.0f%% of the %.1f MB it maps", float64(codeRSS)/1024, 100*float64(codeRSS)/float64(mapped), float64(mapped)/1024)
		r.line("  and heap, stacks, runtime (anonymous)", "%.1f MB", float64(anonRSS)/1024)
	}
	// The same session where Stripe declines every payment (no target: a
	// decline's error, with the payment intent it carries, is decoded too).
	declinesURL, stopDeclines := startChild("-serve-declines")
	dcs, dcmd := connect(bin, append(env[:len(env):len(env)], "STRIPE_API_BASE="+declinesURL))
	_, declined := hundredCalls(dcs)
	dpeak := peakRSS(dcmd.Process.Pid)
	dcs.Close()
	stopDeclines()
	r.line("  the same session, its payments declined", "%.1f MB (%d declines); %.2fx the session without", float64(dpeak)/1024, declined, float64(dpeak)/float64(max(peak, 1)))
	r.target("≤ 20 MB", peak > 0 && peak <= 20*1024)

	// 3. Sizes: tools/list per tool, and a customer result against the raw
	// Stripe customer.
	tl, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	b, _ := json.Marshal(tl)
	r.line("tools/list", "%d tools, %d bytes, %d bytes per tool", len(tl.Tools), len(b), len(b)/len(tl.Tools))
	r.target("≤ 700 bytes per tool", len(b)/len(tl.Tools) <= 700)
	compactRes := call(cs, "stripe_create_customer", map[string]any{"email": "jane@example.com", "name": "Jane Doe", "phone": "+15555555555", "description": "New customer from MCP integration"})
	fullRes := call(cs, "stripe_create_customer", map[string]any{"email": "jane@example.com", "name": "Jane Doe", "phone": "+15555555555", "description": "New customer from MCP integration", "full": true})
	cb, _ := json.Marshal(compactRes.StructuredContent)
	rb, _ := json.Marshal(fullRes.StructuredContent)
	r.line("stripe_create_customer result", "%d bytes against %d bytes of the raw customer: %.0f%%", len(cb), len(rb), 100*float64(len(cb))/float64(len(rb)))
	r.line("  kept", "%s", cb)
	r.target("≤ 25 % of the raw customer", float64(len(cb)) <= 0.25*float64(len(rb)))

	// 4. MCP overhead: the same retrieval through a tool over stdio and
	// directly with stripe-go, interleaved, against the same stripe-mock. The
	// stdio client is a bare line reader and writer, so that what is
	// measured is the server, not a client library.
	sc, err := stripeapi.New(stripeapi.Options{Key: key, BaseURL: mockURL})
	if err != nil {
		log.Fatal(err)
	}
	raw := startRaw(bin, env)
	ctx := context.Background()
	var direct, viaMCP []time.Duration
	for i := 0; i < *calls+20; i++ {
		t0 := time.Now()
		if _, err := sc.V1Customers.Retrieve(ctx, cusID, &stripe.CustomerRetrieveParams{}); err != nil {
			log.Fatal(err)
		}
		t1 := time.Now()
		raw.call(i+10, "stripe_get_customer", `{"customerId":"`+cusID+`"}`)
		t2 := time.Now()
		if i >= 20 { // warm-up
			direct = append(direct, t1.Sub(t0))
			viaMCP = append(viaMCP, t2.Sub(t1))
		}
	}
	raw.close()
	over := median(viaMCP) - median(direct)
	r.line("stripe_get_customer over stdio", "median %.3f ms", ms(median(viaMCP)))
	r.line("  baseline: the same stripe-go call made directly", "median %.3f ms; MCP adds %.3f ms (%.2fx)", ms(median(direct)), ms(over), float64(median(viaMCP))/float64(median(direct)))
	r.target("overhead ≤ 0.25 ms", ms(over) <= 0.25)

	cs.Close()
	cmd.Wait()
	fmt.Fprintf(out, "\n%d of %d targets met\n", r.met, r.targets)
	if r.met != r.targets {
		os.Exit(1)
	}
}

type report struct {
	w            io.Writer
	met, targets int
}

func (r *report) head(f string, a ...any) { fmt.Fprintf(r.w, f+"\n\n", a...) }
func (r *report) line(what, f string, a ...any) {
	fmt.Fprintf(r.w, "%-52s %s\n", what, fmt.Sprintf(f, a...))
}
func (r *report) target(what string, ok bool) {
	r.targets++
	mark := "MISSED"
	if ok {
		r.met++
		mark = "met"
	}
	fmt.Fprintf(r.w, "%-52s target %s: %s\n\n", "", what, mark)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(d []time.Duration) time.Duration { return pct(d, 50) }

func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p/100)]
}

func timeStarts(n int, f func() time.Duration) []time.Duration {
	f() // warm the page cache
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = f()
	}
	return out
}

func startVersion(bin string, env []string) time.Duration {
	cmd := exec.Command(bin, "--version")
	cmd.Env = env
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		log.Fatal(err)
	}
	return time.Since(t0)
}

const initLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}` + "\n"

// startInitialize starts the server, sends initialize and times until the
// response line arrives.
// startInitialize starts the server and times its initialize response, then
// the tools/list response a client sends next.
func startInitialize(bin string, env []string) (time.Duration, time.Duration) {
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	io.WriteString(stdin, initLine)
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	d := time.Since(t0)
	if err != nil || !strings.Contains(line, `"id":1`) {
		log.Fatalf("initialize: %q %v", line, err)
	}
	io.WriteString(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n")
	line, err = rd.ReadString('\n')
	l := time.Since(t0)
	if err != nil || !strings.Contains(line, `"id":2`) || !strings.Contains(line, `stripe_create_payment`) {
		log.Fatalf("tools/list: %.200q %v", line, err)
	}
	stdin.Close()
	cmd.Wait()
	return d, l
}

func connect(bin string, env []string) (*mcp.ClientSession, *exec.Cmd) {
	cmd := exec.Command(bin)
	cmd.Env = env
	client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		log.Fatal(err)
	}
	return cs, cmd
}

func call(cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		b, _ := json.Marshal(res.Content)
		log.Fatalf("%s: %s", name, b)
	}
	return res
}

// hundredCalls creates a customer, then makes 100 calls: reads, lists,
// payments and balances in turn. It returns the customer's id and how many
// payments Stripe declined; any other error ends the bench.
func hundredCalls(cs *mcp.ClientSession) (cusID string, declined int) {
	cus := structured(call(cs, "stripe_create_customer", map[string]any{"email": "jane@example.com", "name": "Jane Doe"}))
	cusID, _ = cus["id"].(string)
	for i := 0; i < 100; i++ {
		switch i % 4 {
		case 0:
			call(cs, "stripe_get_customer", map[string]any{"customerId": cusID})
		case 1:
			call(cs, "stripe_list_payments", map[string]any{"limit": 10})
		case 2:
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_create_payment", Arguments: map[string]any{"amount": 2500, "customerId": cusID}})
			if err != nil {
				log.Fatalf("stripe_create_payment: %v", err)
			}
			if res.IsError {
				b, _ := json.Marshal(res.Content)
				if !strings.Contains(string(b), "declined") {
					log.Fatalf("stripe_create_payment: %s", b)
				}
				declined++
			}
		case 3:
			call(cs, "stripe_get_balance", map[string]any{"detailed": true})
		}
	}
	return cusID, declined
}

func structured(res *mcp.CallToolResult) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(b, &m)
	return m
}

// peakRSS reads VmHWM (peak resident set, KiB) of a live process; 0 where
// /proc is not available.
func peakRSS(pid int) int64 { return procStatusKB(pid, "VmHWM:") }

// procStatusKB reads a field of /proc/PID/status given in kB (VmHWM:,
// RssFile:, RssAnon:); 0 where /proc is not available.
func procStatusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// readOnlyPagesKB is how much of the binary's read-only mappings (code,
// type data, function tables) is resident in process pid, from
// /proc/PID/smaps; 0 where it is not available.
func readOnlyPagesKB(pid int, bin string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0
	}
	if abs, err := filepath.Abs(bin); err == nil {
		bin = abs
	}
	var n int64
	ours := false
	for l := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4:
			// A mapping's first line: range, perms, offset, dev, inode, path.
			ours = strings.HasSuffix(l, " "+bin) && !strings.Contains(f[1], "w")
		case ours && len(f) >= 2 && f[0] == "Rss:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			n += kb
		}
	}
	return n
}

// codeAndTables is the size (KiB) of the binary's read-only loaded segments:
// machine code, type data and strings, and the function tables the runtime
// reads for stacks and the collector. 0 for a binary that is not ELF.
func codeAndTables(bin string) int64 {
	f, err := elf.Open(bin)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W == 0 {
			n += p.Memsz
		}
	}
	return int64(n / 1024)
}

// initRSS is the peak RSS of the server right after it answered
// initialize: start-up work done, no session work yet.
func initRSS(bin string, env []string) int64 {
	cmd := exec.Command(bin)
	cmd.Env = env
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	io.WriteString(stdin, initLine)
	bufio.NewReader(stdout).ReadString('\n')
	rss := peakRSS(cmd.Process.Pid)
	stdin.Close()
	cmd.Wait()
	return rss
}

// rawClient speaks JSON-RPC lines to a server process.
type rawClient struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startRaw(bin string, env []string) *rawClient {
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	c := &rawClient{cmd: cmd, in: in, out: bufio.NewReaderSize(stdout, 1<<16)}
	io.WriteString(in, initLine)
	c.out.ReadString('\n')
	io.WriteString(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	return c
}

func (c *rawClient) call(id int, tool, args string) {
	io.WriteString(c.in, `{"jsonrpc":"2.0","id":`+strconv.Itoa(id)+`,"method":"tools/call","params":{"name":"`+tool+`","arguments":`+args+`}}`+"\n")
	line, err := c.out.ReadString('\n')
	if err != nil || !strings.Contains(line, `"id":`+strconv.Itoa(id)+`,`) || strings.Contains(line, `"isError":true`) {
		log.Fatalf("%s: %q %v", tool, line, err)
	}
}

func (c *rawClient) close() {
	c.in.Close()
	c.cmd.Wait()
}

// startMock runs this program again as a stripe-mock server.
func startMock() (string, func()) { return startChild("-serve-mock") }

// runMock serves stripe-mock; with declines, a payment intent is not
// created but declined (402, a card error carrying the payment intent and
// its payment method, as Stripe sends one).
func runMock(declines bool) {
	serveChild(func() http.Handler {
		h, err := sandbox.Handler()
		if err != nil {
			log.Fatal(err)
		}
		if declines {
			h = declining(h)
		}
		return h
	})
}

func declining(next http.Handler) http.Handler {
	var f struct {
		Resources map[string]json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(embedded.OpenAPIFixtures, &f); err != nil {
		log.Fatal(err)
	}
	body := `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","doc_url":"https://stripe.com/docs/error-codes/card-declined","payment_intent":` +
		string(f.Resources["payment_intent"]) + `,"payment_method":` + string(f.Resources["payment_method"]) + `}}`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/payment_intents" {
			next.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_declined")
		w.WriteHeader(http.StatusPaymentRequired)
		io.WriteString(w, body)
	})
}
