/**
 * @file The pool for ONE image on several cores (the CLI with one input file
 * and `--workers N`): a style image that runs whole goes through the row-band
 * runner (band-runner.node.ts: every worker on a band of its rows); an image
 * that needs tiles, or an SR model, goes through the worker pool, which
 * spreads the tiles over the workers. Both honour `signal` and `timeoutMs`
 * (default DEFAULT_POOL_OPTIONS.timeoutMs) alike: each queues through the
 * shared job queue (job-queue.ts).
 */
import { DEFAULT_INFER_OPTIONS } from '../infer/infer-image.js';
import { createBandRunner, type BandRunner } from './band-runner.node.js';
import { timeoutOption } from './job-queue.js';
import { createPool, DEFAULT_POOL_OPTIONS } from './pool.node.js';
import type { RgbImage } from '../pixels.js';
import type { InferencePool, PoolOptions, PoolStats, RunOptions } from './pool-types.js';

/**
 * Opens the runner that suits the model: row bands for a style model, else the pool.
 * @throws as createPool for a model that cannot load or bad options
 */
export async function createSingleImagePool(options: PoolOptions): Promise<InferencePool> {
  const timeoutMs = timeoutOption('options.timeoutMs', options.timeoutMs, DEFAULT_POOL_OPTIONS.timeoutMs);
  let bands: BandRunner | undefined;
  try {
    bands = await createBandRunner({ model: options.model, timeoutMs, ...(options.workers !== undefined ? { workers: options.workers } : {}) });
  } catch {
    // SR models (and anything the band workers refuse) take the pool, which reports load errors itself.
    return createPool(options);
  }
  const runner = bands;
  let pool: Promise<InferencePool> | undefined;
  let opened: InferencePool | undefined;
  const whole = (image: RgbImage, run: RunOptions): boolean => {
    const tile = run.tile ?? options.tile ?? DEFAULT_INFER_OPTIONS.styleTile;
    return image.width * image.height <= tile * tile;
  };
  return {
    task: 'style',
    scale: 1,
    async run(image, run = {}) {
      if (whole(image, run)) {
        return runner.run(image, { ...(run.signal ? { signal: run.signal } : {}), ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}) });
      }
      pool ??= createPool(options).then((created) => (opened = created));
      return (await pool).run(image, run);
    },
    get stats(): PoolStats {
      const tiled = opened?.stats;
      const banded = runner.stats;
      return {
        queued: banded.queued + (tiled?.queued ?? 0),
        running: banded.running + (tiled?.running ?? 0),
        workers: runner.workers,
        completed: banded.completed + (tiled?.completed ?? 0),
        failed: banded.failed + (tiled?.failed ?? 0),
        restarts: tiled?.restarts ?? 0,
      };
    },
    async close() {
      await runner.close();
      if (pool) await (await pool).close();
    },
  };
}
