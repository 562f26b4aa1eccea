//go:build unix

package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// reserveStdout hands the protocol a duplicate of stdout and points file
// descriptor 1 at stderr (or at /dev/null when discard is set), so that no
// stray write can corrupt the JSON-RPC stream.
func reserveStdout(discard bool) (io.Writer, error) {
	fd, err := unix.Dup(int(os.Stdout.Fd()))
	if err != nil {
		return nil, fmt.Errorf("reserving stdout: %w", err)
	}
	unix.CloseOnExec(fd)
	target := int(os.Stderr.Fd())
	if discard {
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("reserving stdout: %w", err)
		}
		target = int(null.Fd())
		defer null.Close()
	}
	if err := unix.Dup2(target, int(os.Stdout.Fd())); err != nil {
		return nil, fmt.Errorf("reserving stdout: %w", err)
	}
	return os.NewFile(uintptr(fd), "mcp-stdout"), nil
}
