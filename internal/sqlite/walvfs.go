package sqlite

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	lib "modernc.org/sqlite/lib"
)

// The WAL's writes, combined. SQLite writes each WAL frame in two calls, its 24-byte header and
// then its page, so a commit of 40 pages makes 80 pwrite system calls: 8% of the server's CPU at
// the maximum (BENCHMARKS.md). The store's connections open their files through the VFS named
// walVFSName, which wraps the default VFS: a WAL file it opens keeps consecutive writes in a
// buffer and writes them in one call before anything that depends on them. That is before the
// sync that makes a commit durable (synchronous=FULL syncs every commit before SQLite publishes
// it to the other connections in the WAL index), and before a read, a truncation, a size query,
// a file control or the close of the file, or a write elsewhere in it. What the file holds at
// each sync, and so after any crash, is what SQLite wrote, in its order; only the number of
// calls changes. Every other file (the database, its shared memory) is the default VFS's own.

// walVFSName is the VFS the store's DSNs name.
const walVFSName = "vigil-wal"

// walBufferSize bounds one WAL file's buffer: a write that would grow it further writes the
// buffer first. A commit of a full writer group (256 events, about 5 MiB of frames) fits.
const walBufferSize = 8 << 20

// walFile is one WAL file's buffer: n bytes at buf (C memory, so that SQLite's own write can
// take it), which belong at offset off of the file.
type walFile struct {
	buf uintptr
	n   int
	off int64
}

// walShim is the registered VFS and the io methods of the WAL files it opens.
var walShim struct {
	once sync.Once
	err  error
	base uintptr // the default VFS, which opens every file
	// vfs is the default's copy with its own name and xOpen, and methods wrap baseMethods, the
	// default VFS's methods of WAL files (a WAL file opened with others, another locking style,
	// is left unwrapped). Both are in C memory, as SQLite's code wants what it is given.
	vfs         *lib.Tsqlite3_vfs
	methods     *lib.Tsqlite3_io_methods
	baseMethods uintptr
	mu          sync.Mutex
	files       map[uintptr]*walFile
	// writes and flushes count the WAL writes SQLite made and the calls they became (tests).
	writes, flushes atomic.Int64
}

// registerWALVFS registers walVFSName once per process.
func registerWALVFS() error {
	walShim.once.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		base := lib.Xsqlite3_vfs_find(tls, 0)
		if base == 0 {
			walShim.err = errors.New("sqlite: no default VFS to wrap")
			return
		}
		name, err := libc.CString(walVFSName) // SQLite keeps the pointer for the process's life
		if err != nil {
			walShim.err = err
			return
		}
		vfs := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(lib.Tsqlite3_vfs{})))
		methods := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(lib.Tsqlite3_io_methods{})))
		if vfs == 0 || methods == 0 {
			walShim.err = errors.New("sqlite: out of memory for the WAL VFS")
			return
		}
		walShim.base = base
		walShim.files = map[uintptr]*walFile{}
		walShim.vfs = (*lib.Tsqlite3_vfs)(cPointer(vfs))
		walShim.methods = (*lib.Tsqlite3_io_methods)(cPointer(methods))
		*walShim.vfs = *(*lib.Tsqlite3_vfs)(cPointer(base))
		walShim.vfs.FpNext = 0
		walShim.vfs.FzName = name
		setMethod[xOpenFunc](&walShim.vfs.FxOpen, walOpen)
		if rc := lib.Xsqlite3_vfs_register(tls, vfs, 0); rc != lib.SQLITE_OK {
			walShim.err = fmt.Errorf("sqlite: register the %s VFS: code %d", walVFSName, rc)
		}
	})
	return walShim.err
}

// cPointer is the pointer to C memory at p: SQLite's structures and libc's heap, which the Go
// collector neither moves nor frees (SQLite hands them over as integers).
func cPointer(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// baseMethod turns a function pointer of the default VFS into the Go function it holds.
func baseMethod[F any](fp uintptr) F { return *(*F)(unsafe.Pointer(&struct{ uintptr }{fp})) }

// setMethod stores f in a method slot.
func setMethod[F any](slot *uintptr, f F) { *(*F)(unsafe.Pointer(slot)) = f }

type (
	xOpenFunc      = func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32
	xCloseFunc     = func(*libc.TLS, uintptr) int32
	xReadWriteFunc = func(*libc.TLS, uintptr, uintptr, int32, int64) int32
	xTruncateFunc  = func(*libc.TLS, uintptr, int64) int32
	xSyncFunc      = func(*libc.TLS, uintptr, int32) int32
	xFileSizeFunc  = func(*libc.TLS, uintptr, uintptr) int32
	xControlFunc   = func(*libc.TLS, uintptr, int32, uintptr) int32
)

func base() *lib.Tsqlite3_io_methods {
	return (*lib.Tsqlite3_io_methods)(cPointer(walShim.baseMethods))
}

// walOpen opens a file with the default VFS and, for a WAL file, puts the buffering methods in
// front of the default's.
func walOpen(tls *libc.TLS, _, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := baseMethod[xOpenFunc]((*lib.Tsqlite3_vfs)(cPointer(walShim.base)).FxOpen)
	rc := open(tls, walShim.base, zName, pFile, flags, pOutFlags)
	if rc != lib.SQLITE_OK || flags&lib.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	file := (*lib.Tsqlite3_file)(cPointer(pFile))
	walShim.mu.Lock()
	defer walShim.mu.Unlock()
	if walShim.baseMethods == 0 && file.FpMethods != 0 {
		walShim.baseMethods = file.FpMethods
		*walShim.methods = *base()
		setMethod[xCloseFunc](&walShim.methods.FxClose, walClose)
		setMethod[xReadWriteFunc](&walShim.methods.FxRead, walRead)
		setMethod[xReadWriteFunc](&walShim.methods.FxWrite, walWrite)
		setMethod[xTruncateFunc](&walShim.methods.FxTruncate, walTruncate)
		setMethod[xSyncFunc](&walShim.methods.FxSync, walSync)
		setMethod[xFileSizeFunc](&walShim.methods.FxFileSize, walFileSize)
		setMethod[xControlFunc](&walShim.methods.FxFileControl, walFileControl)
	}
	if file.FpMethods != walShim.baseMethods {
		return rc
	}
	walShim.files[pFile] = &walFile{}
	file.FpMethods = uintptr(unsafe.Pointer(walShim.methods))
	return rc
}

func walFileOf(pFile uintptr) *walFile {
	walShim.mu.Lock()
	defer walShim.mu.Unlock()
	return walShim.files[pFile]
}

// flush writes the buffer with one call of the default VFS. SQLite calls a file's methods from
// one connection at a time, so the buffer needs no lock of its own.
func (f *walFile) flush(tls *libc.TLS, pFile uintptr) int32 {
	if f.n == 0 {
		return lib.SQLITE_OK
	}
	write := baseMethod[xReadWriteFunc](base().FxWrite)
	n := f.n
	f.n = 0
	for done := 0; done < n; {
		chunk := min(n-done, maxWrite)
		walShim.flushes.Add(1)
		if rc := write(tls, pFile, f.buf+uintptr(done), int32(chunk), f.off+int64(done)); rc != lib.SQLITE_OK {
			return rc
		}
		done += chunk
	}
	return lib.SQLITE_OK
}

// maxWrite is the most one write of the default VFS takes: the unix VFS masks a write's length
// to 17 bits (SQLite's own writes are a page or a frame), so a larger one would be cut short.
const maxWrite = 0x1f000

func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := walFileOf(pFile)
	walShim.writes.Add(1)
	if f.n > 0 && (iOfst != f.off+int64(f.n) || f.n+int(iAmt) > walBufferSize) {
		if rc := f.flush(tls, pFile); rc != lib.SQLITE_OK {
			return rc
		}
	}
	if f.buf == 0 && iAmt <= walBufferSize {
		f.buf = libc.Xmalloc(tls, walBufferSize)
	}
	if f.buf == 0 || iAmt > walBufferSize {
		walShim.flushes.Add(1)
		return baseMethod[xReadWriteFunc](base().FxWrite)(tls, pFile, zBuf, iAmt, iOfst)
	}
	if f.n == 0 {
		f.off = iOfst
	}
	copy(unsafe.Slice((*byte)(cPointer(f.buf+uintptr(f.n))), iAmt), unsafe.Slice((*byte)(cPointer(zBuf)), iAmt))
	f.n += int(iAmt)
	return lib.SQLITE_OK
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := walFileOf(pFile).flush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return baseMethod[xSyncFunc](base().FxSync)(tls, pFile, flags)
}

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := walFileOf(pFile).flush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return baseMethod[xReadWriteFunc](base().FxRead)(tls, pFile, zBuf, iAmt, iOfst)
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := walFileOf(pFile).flush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return baseMethod[xTruncateFunc](base().FxTruncate)(tls, pFile, size)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := walFileOf(pFile).flush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return baseMethod[xFileSizeFunc](base().FxFileSize)(tls, pFile, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := walFileOf(pFile).flush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return baseMethod[xControlFunc](base().FxFileControl)(tls, pFile, op, pArg)
}

// walClose writes what is buffered, closes the file and frees its buffer.
func walClose(tls *libc.TLS, pFile uintptr) int32 {
	f := walFileOf(pFile)
	rc := f.flush(tls, pFile)
	if crc := baseMethod[xCloseFunc](base().FxClose)(tls, pFile); rc == lib.SQLITE_OK {
		rc = crc
	}
	walShim.mu.Lock()
	delete(walShim.files, pFile)
	walShim.mu.Unlock()
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
	}
	return rc
}
