/**
 * @file The one table from error codes to process exit codes. `perceptual
 * --help` prints it (EXIT_CODES_HELP), so scripts can rely on it.
 */
import { type ErrorCode, errorCode } from '../errors.js';

/** Exit codes by kind of failure. */
export const EXIT_CODES = Object.freeze({
  ok: 0,
  /** A bug or an error without a code. */
  internal: 1,
  /** Bad command line: unknown option, bad value, images of different sizes. */
  usage: 2,
  /** A file that is missing, unreadable, unwritable or not an image. */
  io: 3,
  /** No tfjs backend could be loaded (or the forced one could not). */
  backend: 4,
  /** A weight, model or checkpoint file in the wrong format or with the wrong tensors. */
  weights: 5,
  /** A download failed. */
  download: 6,
  /** Training produced a non-finite loss. */
  diverged: 7,
  /** The inference queue is full; retry later. */
  busy: 8,
  /** An inference worker crashed twice on the same job, or a training worker crashed. */
  worker: 9,
  /** Cancelled (Ctrl-C), as shells report SIGINT. */
  aborted: 130,
} as const);
export type ExitKind = keyof typeof EXIT_CODES;

/** Which kind of failure each error code is. A test checks that every code in ERROR_CODES is here. */
export const EXIT_KIND_BY_CODE: Readonly<Partial<Record<ErrorCode, ExitKind>>> = Object.freeze({
  E_OPTIONS: 'usage',
  E_TENSOR_SHAPE: 'usage',
  E_IO: 'io',
  E_IMAGE_DECODE: 'io',
  E_DATASET: 'io',
  E_BACKEND_UNAVAILABLE: 'backend',
  E_WEIGHTS_MISMATCH: 'weights',
  E_WEIGHTS_FORMAT: 'weights',
  E_MODEL_FORMAT: 'weights',
  E_CHECKPOINT: 'weights',
  E_CHECKSUM: 'download',
  E_DOWNLOAD: 'download',
  E_NON_FINITE_LOSS: 'diverged',
  E_QUEUE_FULL: 'busy',
  E_WORKER_CRASHED: 'worker',
  E_ABORTED: 'aborted',
});

// Node's own file-system error codes, for errors that reach the CLI unwrapped.
const FS_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EROFS', 'ENOSPC', 'EMFILE']);

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  const code = errorCode(error);
  if (code !== undefined) return EXIT_CODES[EXIT_KIND_BY_CODE[code] ?? 'internal'];
  const raw = (error as { code?: unknown } | null)?.code;
  if (typeof raw === 'string' && FS_CODES.has(raw)) return EXIT_CODES.io;
  if ((error as Error | null)?.name === 'AbortError') return EXIT_CODES.aborted;
  return EXIT_CODES.internal;
}

/** The exit-code table as `--help` shows it. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    success',
  '  1    internal error (a bug: please report it with --verbose output)',
  '  2    bad command line or options (E_OPTIONS), images of different sizes (E_TENSOR_SHAPE)',
  '  3    file missing or unreadable, not an image, bad dataset (E_IO, E_IMAGE_DECODE, E_DATASET)',
  '  4    no usable backend (E_BACKEND_UNAVAILABLE)',
  '  5    weights, model or checkpoint in the wrong format (E_WEIGHTS_*, E_MODEL_FORMAT, E_CHECKPOINT)',
  '  6    download or checksum failed (E_DOWNLOAD, E_CHECKSUM)',
  '  7    training diverged (E_NON_FINITE_LOSS)',
  '  8    inference queue full (E_QUEUE_FULL)',
  '  9    a worker crashed: inference twice on the same job, training once (E_WORKER_CRASHED)',
  '  130  cancelled (E_ABORTED, Ctrl-C)',
].join('\n');
