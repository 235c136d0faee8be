/**
 * @file The one job queue behind every runner (the worker pool, the
 * in-process pool, the band runner, the browser stylizer): admission, FIFO
 * start, cancellation by signal or time limit, settle-once, close and
 * counters. A runner hands it the work of a job as a function of an
 * AbortSignal and keeps only what differs (where the work runs, what a crash
 * is). Platform-neutral: no `node:` import, so the browser client uses it too.
 *
 * Semantics (pinned by test/serve/job-queue.test.ts for every runner):
 * - `run` rejects without queueing: after `close()` with the runner's closed
 *   error, for an aborted signal with jobAbortedError, and while
 *   `concurrency` jobs run and `maxQueue` wait with queueFullError (E_QUEUE_FULL);
 * - jobs start in call order as slots free, the first ones within `run`; a
 *   job's slot is free (and the next job started) when its outcome arrives;
 * - a job's promise settles once: with its work's outcome, or at once on
 *   cancellation (signal: jobAbortedError with the reason as `cause`;
 *   `timeoutMs`, counted from `run`, queueing included: jobTimeoutError;
 *   `close({ abortRunning })`: the closed error);
 * - a cancelled queued job never starts; a cancelled running job's work
 *   signal aborts (its reason is the job's error) and its slot stays taken
 *   until the work settles, so a runner never has two jobs on one worker;
 * - settling removes the job's timer and abort listener, so a long-lived
 *   signal shared by many jobs holds none of them.
 */
import { optionalIntegerAtLeast } from '../validate.js';
import { onAbort } from './on-abort.js';
import { jobAbortedError, jobTimeoutError, poolClosedError, queueFullError } from './pool-errors.js';

/** Options of {@link createJobQueue} (internal: runners check their public options by name first). */
export interface JobQueueOptions {
  /** Jobs that run at once (>= 1): one per worker. */
  readonly concurrency: number;
  /** Jobs that may wait for a slot beyond the running ones (>= 0; Infinity for no limit). */
  readonly maxQueue: number;
  /** A fresh error for a job refused, or cut short, by close(). Default poolClosedError(). */
  readonly closedError?: () => Error;
}

/** Options of one job. */
export interface JobOptions {
  /** Aborting rejects the job at once with jobAbortedError (E_ABORTED). */
  readonly signal?: AbortSignal;
  /** Limit in ms counted from run(), queueing included; 0 or absent for none. */
  readonly timeoutMs?: number;
}

/** Counters of a queue; `completed` and `failed` count admitted jobs only. */
export interface JobQueueStats {
  /** Jobs waiting for a slot. */
  readonly queued: number;
  /** Jobs holding a slot (a cancelled job holds it until its work has stopped). */
  readonly running: number;
  readonly completed: number;
  /** Jobs rejected after admission: errors, cancellations, close. */
  readonly failed: number;
}

/**
 * The work of one job. `signal` aborts when the job is cancelled while it
 * runs (reason: the error the caller got); the work should then stop soon,
 * since its slot stays taken until the returned promise settles.
 */
export type JobWork<T> = (signal: AbortSignal) => Promise<T>;

/** A queue of jobs; see the file comment for its semantics. */
export interface JobQueue {
  /**
   * Admits `work` and settles with it, or with the cancellation's error.
   * @throws (rejects) the closed error, E_QUEUE_FULL, or AbortError E_ABORTED on abort or timeout
   */
  run<T>(work: JobWork<T>, options?: JobOptions): Promise<T>;
  /**
   * Refuses new jobs and rejects the queued ones with the closed error (and,
   * with `abortRunning`, the running ones too); resolves once no work runs.
   */
  close(options?: { readonly abortRunning?: boolean }): Promise<void>;
  readonly closed: boolean;
  readonly stats: JobQueueStats;
}

interface Job {
  start(): void;
  cancel(error: Error): void;
}

/**
 * Creates a job queue.
 * @example
 * const queue = createJobQueue({ concurrency: workers, maxQueue });
 * const out = await queue.run((signal) => runOnWorker(image, signal), { signal: request.signal, timeoutMs: 30_000 });
 */
export function createJobQueue(options: JobQueueOptions): JobQueue {
  const { concurrency, maxQueue } = options;
  const closedError = options.closedError ?? (() => poolClosedError());
  const waiting: Job[] = [];
  const running = new Set<Job>();
  let completed = 0;
  let failed = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  let drained: (() => void) | undefined;

  const pump = (): void => {
    while (running.size < concurrency && waiting.length > 0) waiting.shift()!.start();
    if (running.size === 0) drained?.();
  };

  const run = <T>(work: JobWork<T>, { signal, timeoutMs = 0 }: JobOptions = {}): Promise<T> => {
    if (closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(jobAbortedError(signal.reason));
    if (running.size >= concurrency && waiting.length >= maxQueue) return Promise.reject(queueFullError(maxQueue, running.size));
    return new Promise<T>((resolve, reject) => {
      const controller = new AbortController();
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let unsubscribe = (): void => undefined;
      /** True the first time only: the caller's promise settles once. */
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        unsubscribe();
        return true;
      };
      const job: Job = {
        cancel(error) {
          if (!settle()) return;
          failed++;
          const index = waiting.indexOf(job);
          if (index >= 0) waiting.splice(index, 1);
          else controller.abort(error);
          reject(error);
        },
        start() {
          running.add(job);
          let outcome: Promise<T>;
          try {
            outcome = work(controller.signal);
          } catch (error) {
            outcome = Promise.reject(error);
          }
          // The slot is free, and the next job started, by the time the caller sees the outcome.
          void outcome.then(
            (value) => {
              running.delete(job);
              if (settle()) {
                completed++;
                resolve(value);
              }
              pump();
            },
            (error: unknown) => {
              running.delete(job);
              if (settle()) {
                failed++;
                reject(error);
              }
              pump();
            },
          );
        },
      };
      unsubscribe = onAbort(signal, (reason) => job.cancel(jobAbortedError(reason)));
      if (timeoutMs > 0) timer = setTimeout(() => job.cancel(jobTimeoutError(timeoutMs)), timeoutMs);
      waiting.push(job);
      pump();
    });
  };

  return {
    run,
    close({ abortRunning = false } = {}) {
      closed = true;
      for (const job of [...waiting]) job.cancel(closedError());
      if (abortRunning) for (const job of [...running]) job.cancel(closedError());
      closing ??= new Promise<void>((resolve) => {
        drained = resolve;
        pump();
      });
      return closing;
    },
    get closed() {
      return closed;
    },
    get stats(): JobQueueStats {
      return { queued: waiting.length, running: running.size, completed, failed };
    },
  };
}

/**
 * A count option (workers, maxQueue): an integer >= `min`, `fallback` when absent.
 * @throws TypeError E_OPTIONS for a non-number; RangeError E_OPTIONS for a fraction or a value below `min`
 */
export function countOption(path: string, value: unknown, fallback: number, min: number): number {
  return optionalIntegerAtLeast(value, path, min, fallback);
}

/**
 * A time limit in ms: an integer >= 0, 0 for none, `fallback` when absent.
 * @throws TypeError E_OPTIONS for a non-number; RangeError E_OPTIONS for a fraction or a negative value
 */
export function timeoutOption(path: string, value: unknown, fallback: number): number {
  return optionalIntegerAtLeast(value, path, 0, fallback, 'an integer >= 0 (milliseconds; 0 for no limit)');
}
