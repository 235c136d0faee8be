/**
 * @file An `InferencePool` that runs the network in this thread, one job at
 * a time: for edge runtimes and browsers without workers, and for tests.
 * Jobs run in arrival order; at most `maxQueue` wait behind the running one,
 * the next is refused with E_QUEUE_FULL. Images larger than `tile` go
 * through src/infer's seamless tiling (style tiles share whole-image
 * instance-norm statistics; SR tiles are exact), and the job yields to the
 * event loop before each region, so the thread keeps serving requests and
 * an abort or timeout takes effect at the next region.
 */
import * as tf from '@tensorflow/tfjs-core';
import { abortError, optionRangeError, optionTypeError, perceptualError, tensorShapeError, throwIfAborted } from '../errors.js';
import { inferImageWith, type ResolvedInferOptions, resolveInferOptions } from '../infer/infer-image.js';
import { inferRegion } from '../infer/infer-region.js';
import { parseModel } from '../weights/model-file.js';
import type { TransformModel } from '../types.js';
import type { InferencePool, RgbImage, RunOptions } from './pool-types.js';

/** Options of createInProcessPool. */
export interface InProcessPoolOptions {
  /** A loaded model (the pool takes ownership and disposes it on close), model-file bytes, or (Node only) a path. */
  model: TransformModel | Uint8Array | string;
  /** Jobs allowed to wait behind the running one (default 16; 0: refuse while busy). */
  maxQueue?: number;
  /** Default per-job limit in ms, counted from `run` (queue wait included); default none. */
  timeoutMs?: number;
  /** Default tile edge in input pixels: larger images are tiled (default: src/infer's DEFAULT_INFER_OPTIONS). */
  tile?: number;
  /** Default context per tile side in input pixels (default: the network's receptive radius). */
  overlap?: number;
}

/** Defaults of InProcessPoolOptions. */
export const DEFAULT_IN_PROCESS_POOL_OPTIONS = Object.freeze({ maxQueue: 16 });

interface Job {
  readonly image: RgbImage;
  readonly options: ResolvedInferOptions;
  readonly onProgress?: RunOptions['onProgress'];
  /** Aborted on cancel (signal, timeout); src/infer checks it between regions. */
  readonly controller: AbortController;
  readonly resolve: (image: RgbImage) => void;
  readonly reject: (error: unknown) => void;
  cancelled?: unknown;
  readonly cleanup: () => void;
}

/**
 * Creates an in-process pool. The tfjs backend must already be active
 * (src/runtime `selectBackend`).
 * @throws TypeError/RangeError E_OPTIONS for bad options; as loadTransformModel / parseModel for the model.
 * @example
 * const pool = await createInProcessPool({ model: await loadModel('wave.safetensors'), maxQueue: 4 });
 * const out = await pool.run({ data, width, height });
 */
export async function createInProcessPool(options: InProcessPoolOptions): Promise<InferencePool> {
  const maxQueue = checkCount(options.maxQueue ?? DEFAULT_IN_PROCESS_POOL_OPTIONS.maxQueue, 'options.maxQueue');
  const defaults = checkRunOptions({ timeoutMs: options.timeoutMs, tile: options.tile, overlap: options.overlap }, 'options');
  const model = await resolveModel(options.model);
  // Fail at creation, not on the first request, for a tile the network cannot use.
  resolveInferOptions(model.arch, definedOnly({ tile: defaults.tile, overlap: defaults.overlap }));
  const task = model.arch.task;
  const scale = model.arch.task === 'sr' ? model.arch.scale : 1;
  const queue: Job[] = [];
  const stats = { queued: 0, running: 0, workers: 1, completed: 0, failed: 0, restarts: 0 };
  let closed = false;
  let idle: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;

  async function work(): Promise<void> {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      stats.queued = queue.length;
      stats.running = 1;
      try {
        // Yield first, so callers that queue in the same tick see a busy pool.
        await nextTask();
        const result = await runJob(model, job);
        stats.completed += 1;
        job.resolve(result);
      } catch (error) {
        stats.failed += 1;
        job.reject(error);
      } finally {
        job.cleanup();
        stats.running = 0;
      }
    }
    wake?.();
  }

  function start(image: RgbImage, runOptions: RunOptions): Promise<RgbImage> {
    if (closed) return Promise.reject(abortError(new Error('the inference pool is closed')));
    const { timeoutMs, tile, overlap } = runOptions;
    const resolved = checkRunOptions({ ...defaults, ...definedOnly({ timeoutMs, tile, overlap }) }, 'options');
    checkImage(image);
    const inferOptions = resolveInferOptions(model.arch, {
      ...(resolved.tile !== undefined ? { tile: resolved.tile } : {}),
      ...(resolved.overlap !== undefined ? { overlap: resolved.overlap } : {}),
    });
    if (runOptions.signal?.aborted) return Promise.reject(abortError(runOptions.signal.reason));
    if (stats.running + queue.length > maxQueue) {
      return Promise.reject(
        perceptualError(
          'E_QUEUE_FULL',
          `The inference queue is full (1 job running, ${queue.length} waiting, maxQueue ${maxQueue}). Retry later, or raise maxQueue (--max-queue).`,
        ),
      );
    }
    return new Promise<RgbImage>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cancel = (reason: unknown): void => {
        if (job.cancelled !== undefined) return;
        job.cancelled = reason;
        job.controller.abort(reason);
        const index = queue.indexOf(job);
        if (index >= 0) {
          queue.splice(index, 1);
          job.cleanup();
        }
        reject(abortError(reason));
      };
      const onAbort = (): void => cancel(runOptions.signal?.reason);
      const job: Job = {
        image,
        options: inferOptions,
        ...(runOptions.onProgress ? { onProgress: runOptions.onProgress } : {}),
        controller: new AbortController(),
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          runOptions.signal?.removeEventListener('abort', onAbort);
        },
      };
      runOptions.signal?.addEventListener('abort', onAbort, { once: true });
      if (resolved.timeoutMs !== undefined) {
        const ms = resolved.timeoutMs;
        timer = setTimeout(() => cancel(perceptualError('E_ABORTED', `the job timed out after ${ms} ms`)), ms);
      }
      queue.push(job);
      stats.queued = queue.length;
      if (stats.running === 0 && queue.length === 1) {
        stats.running = 1; // claimed now, before the loop's first await
        idle = work();
      }
    });
  }

  return {
    task,
    scale,
    get stats() {
      return { ...stats, queued: queue.length };
    },
    run(image: RgbImage, runOptions: RunOptions = {}): Promise<RgbImage> {
      // Bad options or images reject like every other failure, never throw synchronously.
      try {
        return start(image, runOptions);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async close(): Promise<void> {
      if (closed) return idle;
      closed = true;
      for (const job of queue.splice(0)) {
        job.cleanup();
        job.reject(abortError(new Error('the inference pool was closed')));
      }
      if (stats.running > 0) await new Promise<void>((resolve) => (wake = resolve));
      await idle;
      tf.dispose(Object.values(model.params));
    },
  };
}

/**
 * Runs one job through src/infer (whole, or tiled with whole-image norm
 * statistics for style), yielding a macrotask before each region so the
 * thread keeps serving and a cancel lands at the next region.
 */
function runJob(model: TransformModel, job: Job): Promise<RgbImage> {
  return inferImageWith(
    model.arch,
    job.image,
    job.options,
    async (request, signal) => {
      await nextTask();
      throwIfAborted(signal);
      return inferRegion(model, request);
    },
    job.controller.signal,
    job.onProgress,
  );
}

async function resolveModel(model: InProcessPoolOptions['model']): Promise<TransformModel> {
  if (typeof model === 'string') {
    const { loadTransformModel } = await import('../weights/load-transform-model.js');
    return loadTransformModel(model);
  }
  if (model instanceof Uint8Array) return parseModel(model, 'model bytes');
  if (model === null || typeof model !== 'object' || !('arch' in model) || !('params' in model)) {
    throw optionTypeError('options.model', 'a TransformModel, model-file bytes or a path', model);
  }
  return model;
}

function checkCount(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw optionRangeError(path, 'an integer >= 0', value);
  return value;
}

interface ResolvedRunOptions {
  timeoutMs?: number;
  tile?: number;
  overlap?: number;
}

function checkRunOptions(options: RunOptions, path: string): ResolvedRunOptions {
  const { timeoutMs, tile, overlap } = options;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) {
    throw optionRangeError(`${path}.timeoutMs`, 'a number of milliseconds > 0', timeoutMs);
  }
  return { timeoutMs, tile, overlap };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkImage(image: RgbImage): void {
  const { width, height, data } = image ?? {};
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || !(data instanceof Uint8Array) || data.length !== width * height * 3) {
    throw tensorShapeError('image', 'InferencePool.run', 'RGB bytes of length width * height * 3 with positive integer sizes', [height, width, data?.length ?? 0]);
  }
}

/** Resolves on a later macrotask (setTimeout exists in Node, browsers and edge runtimes). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
