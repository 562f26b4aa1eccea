//go:build !unix

package main

import (
	"io"
	"os"
)

// reserveStdout returns stdout as it is where descriptors cannot be moved.
func reserveStdout(bool) (io.Writer, error) { return os.Stdout, nil }
