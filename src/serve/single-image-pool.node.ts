/**
 * @file The pool for ONE image on several cores (the CLI with one input file
 * and `--workers N`): a style image that runs whole goes through the row-band
 * runner (band-runner.node.ts: every worker on a band of its rows); an image
 * that needs tiles, or an SR model, goes through the worker pool, which
 * spreads the tiles over the workers. Banded runs honour `signal` (not
 * `timeoutMs`, which the CLI does not use).
 */
import { DEFAULT_INFER_OPTIONS } from '../infer/infer-image.js';
import { createBandRunner, type BandRunner } from './band-runner.node.js';
import { createPool } from './pool.node.js';
import type { InferencePool, PoolOptions, PoolStats, RgbImage, RunOptions } from './pool-types.js';

/**
 * Opens the runner that suits the model: row bands for a style model, else the pool.
 * @throws as createPool for a model that cannot load
 */
export async function createSingleImagePool(options: PoolOptions): Promise<InferencePool> {
  let bands: BandRunner | undefined;
  try {
    bands = await createBandRunner({ model: options.model, ...(options.workers !== undefined ? { workers: options.workers } : {}) });
  } catch {
    // SR models (and anything the band workers refuse) take the pool, which reports load errors itself.
    return createPool(options);
  }
  const runner = bands;
  let pool: Promise<InferencePool> | undefined;
  let completed = 0;
  let failed = 0;
  let running = 0;
  const whole = (image: RgbImage, run: RunOptions): boolean => {
    const tile = run.tile ?? options.tile ?? DEFAULT_INFER_OPTIONS.styleTile;
    return image.width * image.height <= tile * tile;
  };
  return {
    task: 'style',
    scale: 1,
    async run(image, run = {}) {
      running++;
      try {
        const out = whole(image, run) ? await runner.run(image, run.signal ? { signal: run.signal } : {}) : await (pool ??= createPool(options)).then((p) => p.run(image, run));
        completed++;
        return out;
      } catch (error) {
        failed++;
        throw error;
      } finally {
        running--;
      }
    },
    get stats(): PoolStats {
      return { queued: 0, running, workers: runner.workers, completed, failed, restarts: 0 };
    },
    async close() {
      await runner.close();
      if (pool) await (await pool).close();
    },
  };
}
