/**
 * @file What a queue holds: BullMQ's job counts by state, the workers
 * connected, the running jobs with their progress, and the failed jobs
 * with their error (newest first).
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** The states counted (BullMQ's names). */
export const JOB_STATES = Object.freeze(['waiting', 'active', 'delayed', 'completed', 'failed'] as const);

/** A job in the status, as far as its data tells. */
export interface JobSummary {
  readonly id: string;
  readonly name: string;
  readonly input?: string;
  readonly output?: string;
  /** Tries that ended (for a failed job: every try, the last included). */
  readonly attemptsMade: number;
}

/** A snapshot of a queue. */
export interface QueueStatus {
  readonly queue: string;
  readonly counts: Readonly<Record<(typeof JOB_STATES)[number], number>>;
  /** Workers connected to the queue; null where Redis refuses CLIENT LIST (some managed services). */
  readonly workers: number | null;
  readonly active: readonly (JobSummary & { readonly progress: number; readonly worker?: string })[];
  readonly failed: readonly (JobSummary & { readonly error: string; readonly failedAt?: string })[];
}

/**
 * Reads the status of `queue`, listing up to `limit` running and `limit` failed jobs.
 * @throws Redis errors as they come
 */
export async function readQueueStatus(connection: Redis, queue: string, options: { limit?: number } = {}): Promise<QueueStatus> {
  const limit = options.limit ?? 20;
  const { Queue } = await import('bullmq');
  const handle = new Queue(queue, { connection });
  try {
    const raw = await handle.getJobCounts(...JOB_STATES);
    const counts = Object.fromEntries(JOB_STATES.map((state) => [state, raw[state] ?? 0])) as QueueStatus['counts'];
    const workers = await handle.getWorkersCount().catch(() => null);
    const active = limit > 0 ? await handle.getActive(0, limit - 1) : [];
    const failed = limit > 0 ? await handle.getFailed(0, limit - 1) : [];
    return {
      queue,
      counts,
      workers,
      active: active.filter(Boolean).map((job) => ({
        ...summary(job),
        progress: typeof job.progress === 'number' ? job.progress : 0,
        ...(job.processedBy ? { worker: job.processedBy } : {}),
      })),
      failed: failed.filter(Boolean).map((job) => ({
        ...summary(job),
        error: job.failedReason ?? '',
        ...(job.finishedOn ? { failedAt: new Date(job.finishedOn).toISOString() } : {}),
      })),
    };
  } finally {
    await handle.close();
  }
}

function summary(job: Job): JobSummary {
  const data = (job.data ?? {}) as { input?: unknown; output?: unknown };
  return {
    id: job.id ?? '?',
    name: job.name,
    ...(typeof data.input === 'string' ? { input: data.input } : {}),
    ...(typeof data.output === 'string' ? { output: data.output } : {}),
    attemptsMade: job.attemptsMade,
  };
}
