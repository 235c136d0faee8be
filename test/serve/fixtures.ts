/**
 * @file Shared by the serve suites: tiny real models (style width 0.25 with
 * one residual block, SR x2 with 4 filters) saved as model files, test
 * images encoded with sharp, and a pool that fails on demand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { RgbImage } from '../../src/pixels.js';
import type { InferencePool } from '../../src/serve/pool-types.js';
import type { TransformModel } from '../../src/types.js';
import { loadModel, saveModel } from '../../src/weights/model-file.node.js';

export interface ModelFiles {
  style: string;
  sr: string;
  remove(): Promise<void>;
}

/** Saves a tiny style model and a tiny x2 SR model in a temporary folder. */
export async function tinyModelFiles(): Promise<ModelFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'perceptual-serve-'));
  const styleArch = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
  const srArch = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 });
  for (const [file, arch, seed] of [['style.safetensors', styleArch, 7], ['sr.safetensors', srArch, 11]] as const) {
    const params = initParams(arch, seed);
    await saveModel(join(dir, file), { arch, params, provenance: { source: 'test' } });
    tf.dispose(Object.values(params));
  }
  return { style: join(dir, 'style.safetensors'), sr: join(dir, 'sr.safetensors'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A deterministic RGB gradient with some texture. */
export function testImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / Math.max(1, width - 1);
      data[i + 1] = (y * 255) / Math.max(1, height - 1);
      data[i + 2] = ((x * 7 + y * 13) % 32) * 8;
    }
  }
  return { data, width, height };
}

/** Encodes 8-bit RGB with sharp. */
export async function encode(image: RgbImage, format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png'): Promise<Uint8Array<ArrayBuffer>> {
  const buffer = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).toFormat(format).toBuffer();
  return new Uint8Array(buffer);
}

/** Decodes any image to 8-bit RGB with sharp (independent of the service's codec). */
export async function decode(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** The network's output computed directly (no pool, no codec): the reference. */
export async function referenceOutput(path: string, image: RgbImage): Promise<RgbImage> {
  const model: TransformModel = await loadModel(path);
  const input = imageToTensor(image.data, image.width, image.height, 3);
  const output = transform(model, input);
  try {
    return await tensorToRgb(output);
  } finally {
    tf.dispose([input, output, ...Object.values(model.params)]);
  }
}

/** Largest absolute difference between two byte arrays of the same length. */
export function maxDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Asserts that `promise` rejects with an error whose message matches `pattern` (or that passes `check`). */
export async function rejects(promise: Promise<unknown>, expected: RegExp | ((error: Error) => boolean)): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) throw new Error('expected a rejection, the promise resolved');
  const ok = expected instanceof RegExp ? expected.test((error as Error).message) : expected(error as Error);
  if (!ok) throw new Error(`unexpected rejection: ${(error as Error).name}: ${(error as Error).message}`);
}

/** A pool whose run always throws `error` (to test the handler's mapping). */
export function failingPool(error: unknown, task: 'style' | 'sr' = 'style'): InferencePool & { closed: boolean } {
  return {
    task,
    scale: task === 'sr' ? 2 : 1,
    closed: false,
    stats: { queued: 0, running: 0, workers: 0, completed: 0, failed: 0, restarts: 0 },
    run: () => Promise.reject(error),
    async close() {
      this.closed = true;
    },
  };
}
