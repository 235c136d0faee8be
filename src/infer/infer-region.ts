/**
 * @file Runs a transform network on one region (a tile or a whole image) of
 * 8-bit RGB pixels and returns plain arrays: the unit of work a worker does.
 *
 * Every read is through `data()`, on every backend: tfjs-backend-webgpu reads a tensor
 * synchronously (`dataSync`) only through an OffscreenCanvas, which Node
 * lacks, and in headless Chromium on SwiftShader that read returned zeros and
 * lost the device; on wasm and cpu the asynchronous read costs no measurable
 * time.
 */
import * as tf from '@tensorflow/tfjs-core';
import { srNetwork } from '../networks/sr-network.js';
import { styleNetwork } from '../networks/style-network.js';
import { imageToTensor } from '../data/image-tensor.js';
import type { Params, TransformModel } from '../types.js';
import type { RgbImage } from '../pixels.js';
import type { Rect } from './tile-plan.js';
import type { LayerNormStatistics, LayerNormSums } from './norm-statistics.js';
import { tileExecution, type StatsRequest, type TileExecution } from './tile-execution.js';

/** One unit of work. */
export interface RegionRequest {
  /** The input pixels. */
  readonly image: RgbImage;
  /** Part of the region's output to return (output pixels, relative to it); default all. Empty: none. */
  readonly crop?: Rect;
  /** `float32` (for blending) or `uint8` (a finished image). Default float32. */
  readonly output?: 'float32' | 'uint8';
  /** What the instance norms do (style only; ignored for SR, which has none); default: each its own input's statistics. */
  readonly stats?: StatsRequest;
}

/** The result: interleaved RGB of the crop, plus recorded statistics or sums when asked for. */
export interface RegionResult {
  readonly data: Float32Array | Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly recorded?: Record<string, LayerNormStatistics>;
  readonly sums?: Record<string, LayerNormSums>;
}

/**
 * Runs `model` (memory-lean) on `request.image` and returns the crop of its output, every read
 * through `data()` (see the file comment). What the pools, inferImage and the workers run.
 * @returns float32 values in [0, 1] (or 8-bit, rounded as tensorToRgb does); no tensor outlives the call.
 * @throws as styleNetwork / srNetwork; RangeError for a crop outside the output
 */
export async function inferRegion(model: TransformModel, request: RegionRequest): Promise<RegionResult> {
  await readKernels(model.params);
  const ran = forwardRegion(model, request);
  try {
    const [values] = await Promise.all([ran.output?.data() as Promise<Float32Array> | undefined, ran.tiled.read()]);
    return regionResult(request, ran, values);
  } finally {
    ran.output?.dispose();
    ran.tiled.dispose();
  }
}

/** A region's forward pass: its crop of the output (null when empty) and the statistics its norms keep to be read. */
interface RegionRun {
  readonly crop: Rect;
  readonly output: tf.Tensor | null;
  readonly tiled: TileExecution;
}

function forwardRegion(model: TransformModel, request: RegionRequest): RegionRun {
  const { image } = request;
  const scale = model.arch.task === 'sr' ? model.arch.scale : 1;
  const crop = request.crop ?? { x: 0, y: 0, width: image.width * scale, height: image.height * scale };
  if (crop.x < 0 || crop.y < 0 || crop.x + crop.width > image.width * scale || crop.y + crop.height > image.height * scale) {
    throw new RangeError(`inferRegion: crop ${JSON.stringify(crop)} is outside the ${image.width * scale}x${image.height * scale} output`);
  }
  // SR has no norms: its regions tile exactly without statistics.
  const tiled = tileExecution(model.arch.task === 'style' ? request.stats : undefined, [image.height, image.width]);
  const input = imageToTensor(image.data, image.width, image.height, 3);
  const copies: tf.Tensor[] = [];
  const params = transientKernels(model.params, copies);
  let output: tf.Tensor4D;
  try {
    output =
      model.arch.task === 'style'
        ? styleNetwork(model.arch, params, input, { execution: tiled.execution })
        : srNetwork(model.arch, params, input, { execution: tiled.execution });
  } catch (error) {
    tiled.dispose();
    throw error;
  } finally {
    input.dispose();
    // Most copies died with their step's tidy; disposing again is a no-op.
    for (const copy of copies) copy.dispose();
  }
  // Sliced outside tf.tidy, which would walk the read values element by element (src/runtime/read-rows.ts).
  try {
    return { crop, output: crop.width === 0 || crop.height === 0 ? null : tf.slice(output, [0, crop.y, crop.x, 0], [1, crop.height, crop.width, 3]), tiled };
  } catch (error) {
    tiled.dispose();
    throw error;
  } finally {
    output.dispose();
  }
}

/** The result of a region whose crop read as `values` (undefined for an empty crop); `ran.tiled`'s statistics must be readable. */
function regionResult(request: RegionRequest, ran: RegionRun, values: Float32Array | undefined): RegionResult {
  const floats = values ?? new Float32Array(0);
  const { recorded, sums } = ran.tiled;
  return {
    data: request.output === 'uint8' ? quantise(floats) : floats,
    width: ran.crop.width,
    height: ran.crop.height,
    ...(recorded ? { recorded } : {}),
    ...(sums ? { sums } : {}),
  };
}

/** Host copies of kernels, read once per model tensor. */
const hostValues = new WeakMap<tf.Tensor, Float32Array>();

const isKernel = (value: unknown): value is tf.Tensor => value instanceof tf.Tensor && value.rank === 4 && value.dtype === 'float32';

/** Reads the host copies transientKernels hands out with `data()`, before the forward pass. */
async function readKernels(params: Params): Promise<void> {
  for (const value of Object.values(params)) {
    if (isKernel(value) && !hostValues.has(value)) hostValues.set(value, (await value.data()) as Float32Array);
  }
}

/**
 * `params` whose conv kernels (rank 4) are handed out as fresh tensors, one per access. Why: the
 * wasm backend caches an XNNPACK operator per conv filter, and each keeps the indirection buffer
 * of its last input (81 pointers per output pixel for a 9x9 conv) until that filter is disposed.
 * With the model's own kernels, every conv's buffer stays alive through the whole forward and
 * between tiles, which made a tile's heap much larger; fresh kernels are disposed by the lean
 * step's tidy as soon as the step has run (heap sizes: bench/RESULTS-infer.md).
 * Same values, so the same output. Every copy is pushed to `copies` (the caller disposes them).
 */
function transientKernels(params: Params, copies: tf.Tensor[]): Params {
  return new Proxy(params, {
    get(target, key, receiver): unknown {
      const value: unknown = Reflect.get(target, key, receiver);
      if (!isKernel(value)) return value;
      const host = hostValues.get(value);
      if (host === undefined) throw new Error('transientKernels: a kernel was not read by readKernels first');
      const copy = tf.tensor(host, value.shape, 'float32');
      copies.push(copy);
      return copy;
    },
  });
}

/** [0, 1] floats to bytes: clamp, x 255, round to nearest; NaN becomes 0 (as tensorToRgb). */
export function quantise(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
  }
  return out;
}
