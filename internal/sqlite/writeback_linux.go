package sqlite

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteBack asks the kernel to start writing f's dirty pages to disk and returns without
// waiting for them (sync_file_range with SYNC_FILE_RANGE_WRITE): it spreads a checkpoint's
// writes over time instead of leaving them all to the next sync. It makes nothing durable.
func startWriteBack(f *os.File) error {
	return unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
