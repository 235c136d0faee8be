/**
 * @file The pool's errors, built from src/errors.ts factories (a fresh error
 * per call), with messages that say what happened and what to do.
 */
import { abortError, errorCode, perceptualError, type ErrorCode, type PerceptualError } from '../errors.js';

/** run() on a full queue. */
export function queueFullError(maxQueue: number, running: number): PerceptualError {
  return perceptualError(
    'E_QUEUE_FULL',
    `The inference queue is full (${maxQueue} jobs waiting, ${running} running). Retry later, or allow a longer queue (perceptual serve --max-queue, the pool option maxQueue) or more workers (--workers).`,
  );
}

/** A job cancelled by the caller's signal. */
export function jobAbortedError(reason: unknown): Error & { code: ErrorCode } {
  const error = abortError(reason);
  error.message = 'The inference job was aborted by its AbortSignal';
  return error;
}

/** A job that ran past its time limit. */
export function jobTimeoutError(timeoutMs: number): Error & { code: ErrorCode } {
  const error = abortError(new Error(`timeout ${timeoutMs} ms`));
  error.message = `The inference job timed out after ${timeoutMs} ms (timeoutMs). Raise timeoutMs, or use more workers or smaller tiles.`;
  return error;
}

/** run() after close(); `create` names the factory of the pool (createPool, createInProcessPool). */
export function poolClosedError(create = 'createPool'): Error & { code: ErrorCode } {
  return closedError('pool closed', `The inference pool is closed; create a new pool with ${create}().`);
}

/** run() after the band runner's close(). */
export function bandRunnerClosedError(): Error & { code: ErrorCode } {
  return closedError('band runner closed', 'The band runner is closed; create a new one with createBandRunner().');
}

/** A call after, or cut short by, the browser stylizer's terminate(). */
export function stylizerTerminatedError(): Error & { code: ErrorCode } {
  return closedError('stylizer terminated', 'The browser stylizer was terminated; create a new one with createBrowserStylizer().');
}

function closedError(reason: string, message: string): Error & { code: ErrorCode } {
  const error = abortError(new Error(reason));
  error.message = message;
  return error;
}

/** A region whose worker died twice. */
export function workerCrashedError(what: string, cause: unknown): PerceptualError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return perceptualError(
    'E_WORKER_CRASHED',
    `A worker crashed while running ${what}, and again on the retry (${detail}). The pool replaced the workers and keeps serving; check the worker's memory (large tiles) or the model.`,
    cause,
  );
}

/** An error the worker reported as a value, rebuilt in this thread. */
export function workerReportedError(error: { name: string; code?: string; message: string }): Error {
  const code = errorCode(error);
  if (code !== undefined && code !== 'E_ABORTED') {
    const known = perceptualError(code, error.message);
    if (error.name === 'TypeError' || error.name === 'RangeError') known.name = error.name;
    return known;
  }
  const plain = new Error(error.message);
  plain.name = error.name;
  return plain;
}
