//go:build unix

package transport

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func nonblocking(t *testing.T, fd uintptr) bool {
	t.Helper()
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	return flags&syscall.O_NONBLOCK != 0
}

// checkPollable reads through p what is written to w, then EOF once w is
// closed, and checks that p takes a read deadline (only a handle the poller
// waits on does).
func checkPollable(t *testing.T, p *os.File, w *os.File) {
	t.Helper()
	if err := p.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("the handle is not pollable: %v", err)
	}
	p.SetReadDeadline(time.Time{})
	go func() {
		w.Write([]byte("{\"jsonrpc\":\"2.0\"}\n"))
		w.Close()
	}()
	got, err := io.ReadAll(p)
	if err != nil || string(got) != "{\"jsonrpc\":\"2.0\"}\n" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestPollablePipe(t *testing.T) {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
	defer r.Close()
	if r.SetReadDeadline(time.Now()) == nil {
		t.Fatal("a blocking pipe should not take deadlines; the test cannot tell pollable from not")
	}
	p, release := Pollable(r)
	defer release()
	if p == r {
		t.Fatal("a pipe should get a handle of its own")
	}
	checkPollable(t, p, w)
	// The pipe's original description (which another process may share)
	// keeps its blocking mode.
	if nonblocking(t, r.Fd()) {
		t.Error("the original description was made non-blocking")
	}
}

func TestPollableSocket(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
	defer r.Close()
	p, release := Pollable(r)
	if p == r {
		t.Fatal("a socket should get a handle of its own")
	}
	checkPollable(t, p, w)
	release()
	if nonblocking(t, r.Fd()) {
		t.Error("release did not set the socket back to blocking")
	}
}

func TestPollableFileUnchanged(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "in"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, release := Pollable(f)
	defer release()
	if p != f {
		t.Error("a regular file should be returned as it is")
	}
}
