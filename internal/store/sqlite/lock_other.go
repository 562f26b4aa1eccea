//go:build !unix

package sqlite

import (
	"errors"
	"os"
)

// lockFile: without flock the journal cannot tell a live owner from a dead
// one, so journals are not used (every row is written to the database).
func lockFile(*os.File, bool) error { return errors.ErrUnsupported }

func unlockFile(*os.File) {}
