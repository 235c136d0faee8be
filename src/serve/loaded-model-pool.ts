/**
 * @file An `InferencePool` over a loaded model (or model-file bytes) that
 * runs the network in this thread, one job at a time: the in-process pool
 * without the Node path loading of in-process-pool.ts, so edge runtimes
 * (edge-service.ts) and browsers use it too.
 * Jobs run in arrival order; at most `maxQueue` wait behind the running one,
 * the next is refused with E_QUEUE_FULL; signal, timeoutMs and close answer
 * as in the worker pool (the shared job queue, job-queue.ts). Images larger
 * than `tile` go through src/infer's seamless tiling (style tiles share
 * whole-image instance-norm statistics; SR tiles are exact), and the job
 * yields to the event loop before each region, so the thread keeps serving
 * requests and an abort or timeout takes effect at the next region.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionTypeError, throwIfAborted } from '../errors.js';
import { inferImageWith, type ResolvedInferOptions, resolveInferOptions } from '../infer/infer-image.js';
import { inferRegion } from '../infer/infer-region.js';
import { checkRgbImage, type RgbImage } from '../pixels.js';
import { parseModel } from '../weights/model-file.js';
import type { TransformModel } from '../types.js';
import { countOption, createJobQueue, timeoutOption } from './job-queue.js';
import { poolClosedError } from './pool-errors.js';
import type { InferencePool, PoolStats, RunOptions } from './pool-types.js';

/** Options of createLoadedModelPool. */
export interface LoadedModelPoolOptions {
  /** A loaded model (the pool takes ownership and disposes it on close) or model-file bytes. */
  model: TransformModel | Uint8Array;
  /** Jobs allowed to wait behind the running one (default 16; 0: refuse while busy). */
  maxQueue?: number;
  /** Default per-job limit in ms, counted from `run` (queue wait included); 0 (the default) for none. */
  timeoutMs?: number;
  /** Default tile edge in input pixels: larger images are tiled (default: src/infer's DEFAULT_INFER_OPTIONS). */
  tile?: number;
  /** Default context per tile side in input pixels (default: the network's receptive radius). */
  overlap?: number;
  /**
   * Style, tiled images: the edge of the downscaled copy the whole-image
   * instance-norm statistics are measured on (default 512). With `tile` it
   * bounds the largest region a job runs, which sets the WASM heap for good.
   */
  statsSize?: number;
}

/** Defaults of LoadedModelPoolOptions. */
export const DEFAULT_LOADED_MODEL_POOL_OPTIONS = Object.freeze({ maxQueue: 16, timeoutMs: 0 });

/**
 * Creates the pool. The tfjs backend must already be active (src/runtime
 * `selectBackend`, `selectEdgeBackend`).
 * @throws TypeError/RangeError E_OPTIONS for bad options; as parseModel for model bytes.
 * @example
 * const pool = await createLoadedModelPool({ model: modelFileBytes, maxQueue: 4 });
 * const out = await pool.run({ data, width, height });
 */
export async function createLoadedModelPool(options: LoadedModelPoolOptions): Promise<InferencePool> {
  const maxQueue = countOption('options.maxQueue', options.maxQueue, DEFAULT_LOADED_MODEL_POOL_OPTIONS.maxQueue, 0);
  const timeoutMs = timeoutOption('options.timeoutMs', options.timeoutMs, DEFAULT_LOADED_MODEL_POOL_OPTIONS.timeoutMs);
  const model = resolveModel(options.model);
  const tiling = (tile: number | undefined, overlap: number | undefined) => ({
    ...(tile !== undefined ? { tile } : {}),
    ...(overlap !== undefined ? { overlap } : {}),
    ...(options.statsSize !== undefined ? { statsSize: options.statsSize } : {}),
  });
  // Fail at creation, not on the first request, for a tile the network cannot use.
  resolveInferOptions(model.arch, tiling(options.tile, options.overlap));
  const queue = createJobQueue({ concurrency: 1, maxQueue, closedError: () => poolClosedError('createInProcessPool') });
  let closing: Promise<void> | undefined;

  return {
    task: model.arch.task,
    scale: model.arch.task === 'sr' ? model.arch.scale : 1,
    get stats(): PoolStats {
      return { ...queue.stats, workers: 1, restarts: 0 };
    },
    run(image: RgbImage, runOptions: RunOptions = {}): Promise<RgbImage> {
      // Bad options or images reject like every other failure, never throw synchronously.
      try {
        checkRgbImage(image);
        const inferOptions = resolveInferOptions(model.arch, tiling(runOptions.tile ?? options.tile, runOptions.overlap ?? options.overlap));
        const limit = timeoutOption('options.timeoutMs', runOptions.timeoutMs, timeoutMs);
        return queue.run(
          async (signal) => {
            // Yield first, so callers that queue in the same tick see a busy pool.
            await nextTask();
            return runJob(model, image, inferOptions, signal, runOptions.onProgress);
          },
          { ...(runOptions.signal ? { signal: runOptions.signal } : {}), timeoutMs: limit },
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
    close(): Promise<void> {
      closing ??= queue.close().then(() => tf.dispose(Object.values(model.params)));
      return closing;
    },
  };
}

/**
 * Runs one job through src/infer (whole, or tiled with whole-image norm
 * statistics for style), yielding a macrotask before each region so the
 * thread keeps serving and a cancel lands at the next region.
 */
function runJob(model: TransformModel, image: RgbImage, options: ResolvedInferOptions, signal: AbortSignal, onProgress: RunOptions['onProgress']): Promise<RgbImage> {
  return inferImageWith(
    model.arch,
    image,
    options,
    async (request, regionSignal) => {
      await nextTask();
      throwIfAborted(regionSignal);
      return inferRegion(model, request);
    },
    signal,
    onProgress,
  );
}

function resolveModel(model: LoadedModelPoolOptions['model']): TransformModel {
  if (model instanceof Uint8Array) return parseModel(model, 'model bytes');
  if (model === null || typeof model !== 'object' || !('arch' in model) || !('params' in model)) {
    throw optionTypeError('options.model', 'a TransformModel or model-file bytes', model);
  }
  return model;
}

/** Resolves on a later macrotask (setTimeout exists in Node, browsers and edge runtimes). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
