/**
 * @file Model files on disk (Node): model-file.ts parses and serialises
 * bytes and runs anywhere; reading and writing paths lives here, so that a
 * browser bundle of model-file.ts never meets `node:fs`.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '../atomic-write.js';
import { perceptualError } from '../errors.js';
import type { TransformModel } from '../types.js';
import { parseModel, serializeModel, type SerializeModelOptions } from './model-file.js';

export * from './model-file.js';

/**
 * Writes a model file atomically (temporary file, fsync, rename). The
 * parameters are read with `data()` into host-side copies first: serializeModel
 * reads synchronously, which the webgpu backend cannot do in Node.
 * @throws as serializeModel; the fs error on I/O failure
 */
export async function saveModel(path: string, model: TransformModel, options: SerializeModelOptions = {}): Promise<void> {
  const host: Record<string, tf.Tensor> = {};
  let bytes: Uint8Array;
  try {
    for (const [name, tensor] of Object.entries(model.params)) host[name] = tf.tensor(await tensor.data(), tensor.shape, tensor.dtype);
    bytes = serializeModel({ ...model, params: host }, options);
  } finally {
    tf.dispose(Object.values(host));
  }
  await writeFileAtomic(path, bytes);
}

/**
 * Reads and validates a model file.
 * @returns the model; caller disposes its params.
 * @throws PerceptualError E_IO when the file cannot be read, else as parseModel
 */
export async function loadModel(path: string): Promise<TransformModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw perceptualError('E_IO', `Cannot read the model file ${path}: ${(error as Error).message}. Check the path.`, error);
  }
  return parseModel(bytes, path);
}
