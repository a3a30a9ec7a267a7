// Frees a byte range of a file in place: Linux fallocate(PUNCH_HOLE | KEEP_SIZE), through bun:ffi.
//
// Why holes: the job appends to its log through its own O_APPEND descriptor, so the file can be
// neither rewritten nor rotated under it; a hole frees the disk blocks of the middle while the
// size and every offset stay as they were (cursors are file offsets, X1), and the job never
// notices. Loaded on the first need only, so a supervisor whose logs stay small never maps libc
// through FFI.

const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;

/** Punches `[offset, offset+len)` of `fd`; returns 0 or the errno of the failure. */
export type Puncher = (fd: number, offset: number, len: number) => number;

/** errno for "this platform or filesystem cannot do it" (EOPNOTSUPP). */
export const UNSUPPORTED = 95;
const EINTR = 4;

/** Failures that will not go away: no hole punching on this platform or filesystem. */
export const isPermanent = (errno: number): boolean =>
  errno === UNSUPPORTED || errno === 38 /* ENOSYS */ || errno === 19 /* ENODEV */ || errno === 1; /* EPERM */

/**
 * The puncher of this platform: fallocate(2) on Linux (glibc or musl); elsewhere one that
 * always answers UNSUPPORTED (the caller then leaves the log whole, see log-cap.ts).
 */
export async function loadPuncher(): Promise<Puncher> {
  if (process.platform !== "linux") return () => UNSUPPORTED;
  const { dlopen, FFIType, read } = await import("bun:ffi");
  for (const name of ["libc.so.6", "libc.so", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"]) {
    try {
      const lib = dlopen(name, {
        fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
        __errno_location: { args: [], returns: FFIType.ptr },
      });
      const { fallocate, __errno_location } = lib.symbols;
      return (fd, offset, len) => {
        // EINTR: the runtime's own signals (the garbage collector suspends threads with them)
        // can interrupt the call; it is simply made again.
        for (let i = 0; ; i++) {
          if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) === 0) return 0;
          const at = __errno_location();
          const errno = at ? read.i32(at, 0) : UNSUPPORTED;
          if (errno !== EINTR || i >= 10) return errno;
        }
      };
    } catch {
      // Not this libc: try the next name.
    }
  }
  return () => UNSUPPORTED;
}
