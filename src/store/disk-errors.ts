import { CondenseError, EXIT } from '../errors.js';

const DISK_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
};

/**
 * Runs a write to the run directory; a full, read-only or forbidden disk becomes a clear error
 * (exit 1) saying what could not be written, instead of a stack trace.
 */
export function withDiskErrors<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!(code in DISK_ERRORS)) throw err;
    throw new CondenseError(`cannot write ${what}: ${DISK_ERRORS[code]} (${code}); earlier checkpoints are intact`, EXIT.stageFailed, {
      hint: 'free space or fix permissions on the run directory (or choose another --out), then rerun with --resume',
      cause: err,
    });
  }
}
