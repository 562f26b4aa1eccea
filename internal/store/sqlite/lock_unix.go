//go:build unix

package sqlite

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive lock on f; wait says whether to wait for it.
func lockFile(f *os.File, wait bool) error {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	return unix.Flock(int(f.Fd()), how)
}

func unlockFile(f *os.File) { unix.Flock(int(f.Fd()), unix.LOCK_UN) }
