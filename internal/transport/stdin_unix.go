//go:build unix

package transport

import (
	"fmt"
	"os"
	"syscall"
)

// Pollable returns a handle on f that Go's network poller can wait on, and a
// func that releases it. A pipe or socket inherited as stdin is in blocking
// mode, so a goroutine reading it holds an OS thread and its processor in the
// read; a message arriving then waits for the runtime to take the processor
// back (tens of microseconds) before the goroutine it is handed to can run.
// Through the poller the reader parks instead and that goroutine runs at once.
//
// A pipe is opened again through /proc, which gives this process a
// description of its own: the non-blocking flag set on it is not seen by
// another process that shares the original. A socket (what Node's
// child_process gives its children) cannot be opened so; it is set
// non-blocking, and the release sets it back. Anything else — a terminal, a
// file — and any failure leaves f as it is.
func Pollable(f *os.File) (*os.File, func()) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return f, func() {}
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFIFO:
		// O_NONBLOCK: opening a FIFO to read does not wait for a writer.
		p, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return p, func() { p.Close() }
		}
	case syscall.S_IFSOCK:
	default:
		return f, func() {}
	}
	// A socket, or a pipe where /proc is not there to open it again.
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return f, func() {}
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return f, func() {}
	}
	p := os.NewFile(uintptr(fd), f.Name())
	return p, func() {
		p.Close()
		syscall.SetNonblock(int(f.Fd()), false)
	}
}
