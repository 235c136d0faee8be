/**
 * @file One abort listener that can be taken back, as piscina's `onabort()`
 * (src/abort.ts there): a long-lived signal shared by many jobs (a page's
 * Cancel button, a server's shutdown signal) must not collect one listener
 * per job. Platform-neutral: no `node:` import.
 */

const NOTHING_TO_REMOVE = (): void => undefined;

/**
 * Calls `listener(signal.reason)` once when `signal` aborts, at once if it
 * already has, and returns a function that removes the listener (call it when
 * the job settles; calling it twice, or after the abort, is harmless).
 * @example
 * const unsubscribe = onAbort(options.signal, (reason) => cancel(jobAbortedError(reason)));
 * try { return await work(); } finally { unsubscribe(); }
 */
export function onAbort(signal: AbortSignal | undefined, listener: (reason: unknown) => void): () => void {
  if (signal === undefined) return NOTHING_TO_REMOVE;
  if (signal.aborted) {
    listener(signal.reason);
    return NOTHING_TO_REMOVE;
  }
  const handler = (): void => listener(signal.reason);
  signal.addEventListener('abort', handler, { once: true });
  return () => signal.removeEventListener('abort', handler);
}
