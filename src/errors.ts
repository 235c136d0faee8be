/**
 * @file Every error perceptual throws comes from a factory here, so each has
 * its own stack, a stable `code` and, where there is one, a `cause`.
 * Outer layers (CLI, HTTP) map codes to exit codes and statuses.
 */

/** Stable error codes; the CLI and the HTTP handler map these. */
export const ERROR_CODES = Object.freeze({
  E_OPTIONS: 'E_OPTIONS',
  E_BACKEND_UNAVAILABLE: 'E_BACKEND_UNAVAILABLE',
  E_WEIGHTS_MISMATCH: 'E_WEIGHTS_MISMATCH',
  E_WEIGHTS_FORMAT: 'E_WEIGHTS_FORMAT',
  E_MODEL_FORMAT: 'E_MODEL_FORMAT',
  E_TENSOR_SHAPE: 'E_TENSOR_SHAPE',
  E_IMAGE_DECODE: 'E_IMAGE_DECODE',
  E_IO: 'E_IO',
  E_DOWNLOAD: 'E_DOWNLOAD',
  E_CHECKSUM: 'E_CHECKSUM',
  E_DATASET: 'E_DATASET',
  E_CHECKPOINT: 'E_CHECKPOINT',
  E_NON_FINITE_LOSS: 'E_NON_FINITE_LOSS',
  E_QUEUE_FULL: 'E_QUEUE_FULL',
  E_ABORTED: 'E_ABORTED',
  E_WORKER_CRASHED: 'E_WORKER_CRASHED',
} as const);
export type ErrorCode = keyof typeof ERROR_CODES;

/** A domain failure (backend, weights, files, data). */
export class PerceptualError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PerceptualError';
    this.code = code;
  }
}

/** Narrows `unknown` to an error carrying one of our codes. */
export function errorCode(error: unknown): ErrorCode | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in ERROR_CODES ? (code as ErrorCode) : undefined;
}

/** A domain error with the given code; the message should end with how to fix it. */
export function perceptualError(code: ErrorCode, message: string, cause?: unknown): PerceptualError {
  return new PerceptualError(code, message, cause === undefined ? undefined : { cause });
}

function withCode<E extends Error>(error: E, code: ErrorCode): E & { code: ErrorCode } {
  return Object.assign(error, { code });
}

/** Wrong type for an option: `options.tileSize must be a positive integer (received "x")`. */
export function optionTypeError(path: string, expected: string, received: unknown): TypeError & { code: ErrorCode } {
  return withCode(new TypeError(`${path} must be ${expected} (received ${describeValue(received)})`), 'E_OPTIONS');
}

/** Out-of-range option or two options in conflict. */
export function optionRangeError(path: string, expected: string, received: unknown): RangeError & { code: ErrorCode } {
  return withCode(new RangeError(`${path} must be ${expected} (received ${describeValue(received)})`), 'E_OPTIONS');
}

/** `Argument 'image' passed to 'transform' must be rank 4 NHWC, got shape [256,256,3]`. */
export function tensorShapeError(argument: string, op: string, expected: string, shape: readonly number[]): PerceptualError {
  return perceptualError('E_TENSOR_SHAPE', `Argument '${argument}' passed to '${op}' must be ${expected}, got shape [${shape.join(',')}]`);
}

/** Cancellation: `name === 'AbortError'`, the reason as `cause`. */
export function abortError(reason?: unknown): Error & { code: ErrorCode } {
  const error = withCode(new Error('The operation was aborted', { cause: reason }), 'E_ABORTED');
  error.name = 'AbortError';
  return error;
}

/** Throws an AbortError if `signal` is aborted; call between steps or tiles. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal.reason);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(',')}]`;
  return `a value of type ${typeof value}`;
}
