/**
 * @file `createInProcessPool`: the in-thread pool of loaded-model-pool.ts,
 * taking a model by path as well (Node: the path is loaded with
 * loadTransformModel, a `.safetensors` file or an ml5 checkpoint folder).
 * For edge runtimes and browsers without workers, and for tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionTypeError } from '../errors.js';
import { countOption, timeoutOption } from './job-queue.js';
import { createLoadedModelPool, DEFAULT_LOADED_MODEL_POOL_OPTIONS, type LoadedModelPoolOptions } from './loaded-model-pool.js';
import type { InferencePool } from './pool-types.js';

/** Options of createInProcessPool. */
export interface InProcessPoolOptions extends Omit<LoadedModelPoolOptions, 'model'> {
  /** A loaded model (the pool takes ownership and disposes it on close), model-file bytes, or (Node only) a path. */
  model: LoadedModelPoolOptions['model'] | string;
}

/** Defaults of InProcessPoolOptions. */
export const DEFAULT_IN_PROCESS_POOL_OPTIONS = DEFAULT_LOADED_MODEL_POOL_OPTIONS;

/**
 * Creates an in-process pool. The tfjs backend must already be active
 * (src/runtime `selectBackend`).
 * @throws TypeError/RangeError E_OPTIONS for bad options; as loadTransformModel / parseModel for the model.
 * @example
 * const pool = await createInProcessPool({ model: await loadModel('wave.safetensors'), maxQueue: 4 });
 * const out = await pool.run({ data, width, height });
 */
export async function createInProcessPool(options: InProcessPoolOptions): Promise<InferencePool> {
  const given: unknown = options?.model;
  if (typeof given !== 'string') {
    if (given === null || typeof given !== 'object') throw optionTypeError('options.model', 'a TransformModel, model-file bytes or a path', given);
    return createLoadedModelPool(options as LoadedModelPoolOptions);
  }
  // Checked before the file is read, so a bad option costs no load.
  countOption('options.maxQueue', options.maxQueue, DEFAULT_IN_PROCESS_POOL_OPTIONS.maxQueue, 0);
  timeoutOption('options.timeoutMs', options.timeoutMs, DEFAULT_IN_PROCESS_POOL_OPTIONS.timeoutMs);
  const { loadTransformModel } = await import('../weights/load-transform-model.js');
  const model = await loadTransformModel(given);
  try {
    return await createLoadedModelPool({ ...options, model });
  } catch (error) {
    tf.dispose(Object.values(model.params));
    throw error;
  }
}
