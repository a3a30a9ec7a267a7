// The job's waiting parent: a tiny `sh` that runs the command as its child and writes how it
// ended into the job directory, so the exit code survives a supervisor killed with SIGKILL.
//
// Why a shell and not the supervisor alone: only a process's parent learns its exit status, and
// a parent that dies takes it along (the orphan is reaped by init). `/bin/sh` is on every Unix
// and costs a few hundred KiB; it leads the job's process group (pgid), and the command runs as
// its only child (the recorded pid).
import { constants } from "node:os";

/**
 * The waiter's script, run as `sh -c SCRIPT <status file> <command argv…>` ($0 is the file).
 * - Its own stderr goes to /dev/null before anything else, so neither a failing trap nor the
 *   shell's "Segmentation fault"-style report of a child's death reaches the job's stderr.log;
 *   the command gets the real stderr back through fd 3 (closed again before its exec).
 * - Each catchable signal that ends a process by default is trapped, so a signal sent to the
 *   job's process group (kill, timeout) reaches the command but not its waiter, which then
 *   records which signals it saw. A caught signal is reset at exec: the command is unaffected.
 * - The command runs in a subshell that execs it, so the subshell's redirections stay out of the
 *   waiter (whose status report would otherwise go to the job's stderr).
 * - No variable is set before the command runs: an exported one of the same name would change
 *   the command's environment.
 * - The record is one line written once: `<status> <name of signal status-128 or -> [seen…]`.
 */
/**
 * Signals whose default action ends a process and that a shell can trap, as far as this platform
 * has them: `trap` is a special builtin, and a POSIX shell (bash as macOS's sh) exits on an error
 * in one, so an unknown name (STKFLT, PWR on macOS) must never reach it.
 */
const TRAPPED =
  "HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM TERM STKFLT XCPU XFSZ VTALRM PROF IO PWR SYS"
    .split(" ")
    .filter((name) => (constants.signals as Record<string, number | undefined>)[`SIG${name}`] !== undefined);

const SCRIPT = [
  "exec 3>&2 2>/dev/null",
  ...TRAPPED.map((sig) => `trap '__ae_s="$__ae_s ${sig}"' ${sig}`),
  '(exec "$@" 2>&3 3>&-)',
  "__ae_c=$?",
  "__ae_n=",
  '[ "$__ae_c" -gt 128 ] && __ae_n=$(kill -l "$__ae_c")',
  '[ -n "$__ae_n" ] || __ae_n=-',
  // In a subshell: the record is the owner's alone (D44) without changing the command's umask.
  '(umask 077; echo "$__ae_c $__ae_n$__ae_s" >"$0")',
  'exit "$__ae_c"',
].join("\n");

/** The waiter's path: the system shell, named absolutely (the job's PATH may have none). */
export const WAITER_SHELL = "/bin/sh";

/** The argv that runs `exe argv[1..]` under the waiter, recording its end into `statusPath`. */
export function waiterArgv(statusPath: string, exe: string, argv: readonly string[]): string[] {
  return [WAITER_SHELL, "-c", SCRIPT, statusPath, exe, ...argv.slice(1)];
}
