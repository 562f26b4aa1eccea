//go:build !linux

package sqlite

import (
	"errors"
	"os"
)

// mapFile is not used outside Linux: journal lines are written.
func mapFile(*os.File, int) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFile([]byte) {}
