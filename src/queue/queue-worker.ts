/**
 * @file A BullMQ worker for image jobs. It takes up to `concurrency` jobs
 * at a time and hands each, checked, to the caller's `process` (the CLI
 * runs it through the inference pool); BullMQ does the rest:
 *
 * - a job holds a lock that the worker renews every lockDuration / 2; when
 *   its worker dies (SIGKILL, OOM, a lost machine) the lock lapses, and the
 *   stalled-job check of any live worker (every stalledInterval) puts the
 *   job back in the queue for another worker; a job that stalls more than
 *   maxStalledCount times fails (a job that kills its workers must not
 *   kill them all);
 * - a job that throws is retried with the backoff it was enqueued with,
 *   then lands in the failed set with its error as `failedReason`; a job
 *   whose data or options are wrong (E_OPTIONS) fails at once, as no retry
 *   can fix it.
 *
 * A job may so run twice (its first worker died after writing); the
 * output is written atomically to the same path, so it ends as one file.
 */
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { errorCode } from '../errors.js';
import { type ImageJobData, parseImageJob } from './image-job.js';

/** What a processed job returns (stored as its BullMQ return value). */
export interface ImageJobResult {
  readonly output: string;
  readonly width: number;
  readonly height: number;
}

/** What `process` gets besides the job's data. */
export interface ImageJobContext {
  readonly id: string;
  /** 1 for the first try. */
  readonly attempt: number;
  /** Reports progress (regions done of total) to the job. */
  readonly progress: (done: number, total: number) => void;
}

/** What the worker reports as it goes. */
export type QueueWorkerEvent =
  | { readonly kind: 'completed'; readonly id: string; readonly data: ImageJobData; readonly result: ImageJobResult; readonly ms: number }
  | { readonly kind: 'failed'; readonly id: string; readonly input?: string; readonly error: string; readonly attempt: number; readonly attempts: number; readonly final: boolean }
  /** A job whose worker stopped renewing its lock, found by this worker's check and put back in the queue (or failed after maxStalledCount). */
  | { readonly kind: 'stalled'; readonly id: string }
  /** A connection or internal error; BullMQ goes on (ioredis reconnects). */
  | { readonly kind: 'error'; readonly error: Error };

/** Defaults of QueueWorkerOptions (BullMQ's own). */
export const DEFAULT_QUEUE_WORKER_OPTIONS = Object.freeze({ lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1 });

/** Options of startQueueWorker. */
export interface QueueWorkerOptions {
  readonly connection: Redis;
  readonly queue: string;
  /** Jobs in progress at once. */
  readonly concurrency: number;
  /** Stored on each job it takes (`processedBy`); default `host:pid`. */
  readonly name?: string;
  /** How long a job's lock lasts without renewal, in ms. */
  readonly lockDurationMs?: number;
  /** How often to look for jobs whose lock lapsed, in ms. */
  readonly stalledIntervalMs?: number;
  /** Stalls a job survives before it fails. */
  readonly maxStalledCount?: number;
  readonly process: (data: ImageJobData, context: ImageJobContext) => Promise<ImageJobResult>;
  readonly onEvent?: (event: QueueWorkerEvent) => void;
}

/** A running worker. */
export interface QueueWorker {
  readonly name: string;
  /** Takes no new jobs, waits for the running ones, disconnects its own connections (not `connection`). */
  close(): Promise<void>;
}

/**
 * Starts consuming `queue` and resolves once the worker is connected.
 * @throws as BullMQ when the worker cannot start
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const { UnrecoverableError, Worker } = await import('bullmq');
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const emit = options.onEvent ?? (() => {});
  const processor = async (job: Job<unknown, ImageJobResult>): Promise<ImageJobResult> => {
    const started = performance.now();
    let data: ImageJobData;
    try {
      data = parseImageJob(job.data);
    } catch (error) {
      throw new UnrecoverableError(describe(error));
    }
    try {
      const result = await options.process(data, {
        id: job.id!,
        attempt: job.attemptsMade + 1,
        progress: (done, total) => {
          job.updateProgress(total > 0 ? Math.round((100 * done) / total) : 0).catch(() => {});
        },
      });
      emit({ kind: 'completed', id: job.id!, data, result, ms: performance.now() - started });
      return result;
    } catch (error) {
      // BullMQ keeps only the message: put the code in it, so `queue status` shows it.
      throw errorCode(error) === 'E_OPTIONS' ? new UnrecoverableError(describe(error)) : new Error(describe(error));
    }
  };
  const worker = new Worker<unknown, ImageJobResult>(options.queue, processor, {
    connection: options.connection,
    name,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? DEFAULT_QUEUE_WORKER_OPTIONS.lockDurationMs,
    stalledInterval: options.stalledIntervalMs ?? DEFAULT_QUEUE_WORKER_OPTIONS.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount ?? DEFAULT_QUEUE_WORKER_OPTIONS.maxStalledCount,
    autorun: true,
  });
  worker.on('failed', (job, error) => {
    const attempts = job?.opts.attempts ?? 1;
    const attempt = job?.attemptsMade ?? 1;
    const input = (job?.data as { input?: unknown } | undefined)?.input;
    emit({
      kind: 'failed',
      id: job?.id ?? '?',
      ...(typeof input === 'string' ? { input } : {}),
      error: error.message,
      attempt,
      attempts,
      final: error.name === 'UnrecoverableError' || attempt >= attempts || job?.finishedOn !== undefined,
    });
  });
  worker.on('stalled', (id) => emit({ kind: 'stalled', id }));
  worker.on('error', (error) => emit({ kind: 'error', error }));
  await worker.waitUntilReady();
  return { name, close: () => worker.close() };
}

/** `E_CODE: message` (the code when the error has one). */
function describe(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.startsWith(`${code}:`) ? `${code}: ${message}` : message;
}
