//go:build !unix

package transport

import "os"

// Pollable returns f: only Unix systems get a pollable handle on stdin.
func Pollable(f *os.File) (*os.File, func()) { return f, func() {} }
