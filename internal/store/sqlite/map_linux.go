package sqlite

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile allocates size bytes of blocks to f and maps them shared, for
// writing. Allocating first means a full disk is an error here, not a fault
// when a page of the mapping is first written.
func mapFile(f *os.File, size int) ([]byte, error) {
	if err := unix.Fallocate(int(f.Fd()), 0, 0, int64(size)); err != nil {
		return nil, err
	}
	return unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func unmapFile(mem []byte) { unix.Munmap(mem) }
