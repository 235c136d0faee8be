/**
 * @file Adds image jobs to a BullMQ queue in bulk, with the retry policy
 * each job carries: `attempts` tries, exponential backoff from
 * `backoffMs` (backoffMs, 2 x backoffMs, 4 x ...), failed jobs kept in
 * the failed set with their error, and the newest `keepCompleted`
 * completed jobs kept for `queue status` (older ones are removed so a
 * long-running queue does not fill Redis).
 */
import type { Redis } from 'ioredis';
import { optionRangeError } from '../errors.js';
import { type ImageJobData, jobNameOf } from './image-job.js';

/** Defaults of EnqueueOptions. */
export const DEFAULT_ENQUEUE_OPTIONS = Object.freeze({ attempts: 3, backoffMs: 1000, keepCompleted: 10_000 });

/** How many jobs go to Redis per round trip. */
const BULK = 500;

/** Options of enqueueImageJobs. */
export interface EnqueueOptions {
  readonly queue: string;
  /** Tries per job, the first included. */
  readonly attempts?: number;
  /** Delay before the first retry in ms; doubled each retry. */
  readonly backoffMs?: number;
  /** Completed jobs kept (the newest); 0 removes each at once. */
  readonly keepCompleted?: number;
}

/**
 * Adds `jobs` in order and returns their ids.
 * @throws RangeError E_OPTIONS for bad options; Redis errors as they come
 */
export async function enqueueImageJobs(connection: Redis, jobs: readonly ImageJobData[], options: EnqueueOptions): Promise<string[]> {
  const attempts = options.attempts ?? DEFAULT_ENQUEUE_OPTIONS.attempts;
  const backoffMs = options.backoffMs ?? DEFAULT_ENQUEUE_OPTIONS.backoffMs;
  const keepCompleted = options.keepCompleted ?? DEFAULT_ENQUEUE_OPTIONS.keepCompleted;
  if (!(Number.isInteger(attempts) && attempts >= 1)) throw optionRangeError('--attempts', 'an integer >= 1', attempts);
  if (!(Number.isInteger(backoffMs) && backoffMs >= 0)) throw optionRangeError('--backoff', 'an integer number of ms >= 0', backoffMs);
  if (!(Number.isInteger(keepCompleted) && keepCompleted >= 0)) throw optionRangeError('--keep-completed', 'an integer >= 0', keepCompleted);
  const { Queue } = await import('bullmq');
  const queue = new Queue<ImageJobData>(options.queue, { connection });
  try {
    const ids: string[] = [];
    for (let start = 0; start < jobs.length; start += BULK) {
      const added = await queue.addBulk(
        jobs.slice(start, start + BULK).map((data) => ({
          name: jobNameOf(data.task),
          data,
          opts: { attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: { count: keepCompleted }, removeOnFail: false },
        })),
      );
      ids.push(...added.map((job) => job.id!));
    }
    return ids;
  } finally {
    await queue.close();
  }
}
