//go:build !unix

package main

import (
	"io"
	"os"
)

func reserveStdout() io.Writer { return os.Stderr }
