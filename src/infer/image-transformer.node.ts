/**
 * @file The short way to use a model from Node: `createStylizer` and
 * `createUpscaler` take a model by bundled name, path, file URL, http(s)
 * URL of a model file, bytes or ml5 checkpoint folder, pick the backend, and
 * run images of whatever kind the caller holds. The answer is the same kind
 * as the question: encoded bytes for a path, URL, bytes or Blob (the input's
 * format unless `format` is given), `{ data, width, height }` RGB or RGBA
 * for pixels (alpha is carried over, upscaled by pixel replication for SR),
 * a tensor for a tensor. Nothing to dispose but `close()`.
 *
 * Underneath: the in-process pool (workers 0, the default) or the worker
 * pool (workers n), src/infer's tiling for large images, and the sharp codec.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { optionRangeError, optionTypeError, perceptualError } from '../errors.js';
import { downloadBytes } from '../fetch-bytes.js';
import { checkPixels, rgbaToRgb, type RgbaImage, type RgbImage } from '../pixels.js';
import type { BackendName } from '../runtime/index.js';
import { CODEC_FORMATS, type CodecFormat, isCodecFormat } from '../serve/image-codec.js';
import { checkInteger, checkNumber, checkOneOf, isByteArray } from '../validate.js';
import type { InferencePool } from '../serve/pool-types.js';
import { blend } from './blend.js';
import { quantise } from './infer-region.js';
import { preserveColor } from './preserve-color.js';
import type { TransformModel } from '../types.js';
import type { ProgressCallback } from './run-tiled.js';

/** RGB or straight-alpha RGBA pixels (`ImageData` is one); which is read from the data length. */
export type PixelImage = RgbImage | RgbaImage;

/** Everything a stylizer or upscaler takes. */
export type ImageInput = string | URL | Uint8Array | ArrayBuffer | Blob | PixelImage | tf.Tensor3D | tf.Tensor4D;

/** The answer's kind follows the input's. */
export type ImageOutput<I> = I extends tf.Tensor4D ? tf.Tensor4D : I extends tf.Tensor3D ? tf.Tensor3D : I extends PixelImage ? PixelImage : Uint8Array;

export interface ImageTransformerOptions {
  /** A bundled model's name (`perceptual models`), a path, a `file:` or `http(s):` URL of a model file, model-file bytes, or an ml5 checkpoint folder (a path, or a URL ending in `/` or `/manifest.json`). Default: the bundled default of the task. */
  readonly model?: string | URL | Uint8Array;
  /** 0 (default): run in this thread on `backend`; n: a pool of n WASM worker threads (needs a model on disk). */
  readonly workers?: number;
  /** Backend of this thread when workers is 0 (default: the best that loads); `webgpu` only with workers 0. */
  readonly backend?: BackendName;
  /** Calls that may wait behind the running ones (default: the pool's). */
  readonly maxQueue?: number;
  /** Tile edge and overlap in input pixels for large images (default: src/infer's). */
  readonly tile?: number;
  readonly overlap?: number;
}

export interface TransformCallOptions {
  readonly signal?: AbortSignal;
  /** Called as regions finish: `{ done, total }` (one region for an image that runs whole). */
  readonly onProgress?: ProgressCallback;
  /** Encoded answers: `png`, `jpeg` or `webp` (default: the input's format, PNG for others). */
  readonly format?: CodecFormat;
  /** JPEG/WebP quality 1-100 (default 90). */
  readonly quality?: number;
  readonly tile?: number;
  readonly overlap?: number;
}

export interface StylizeCallOptions extends TransformCallOptions {
  /** 0 keeps the input, 1 (default) the full stylisation. */
  readonly strength?: number;
  /** Keep the input's colours: only the stylisation's luminance (Gatys et al. 2016). */
  readonly preserveColor?: boolean;
}

export interface Stylizer {
  readonly task: 'style';
  stylize<I extends ImageInput>(input: I, options?: StylizeCallOptions): Promise<ImageOutput<I>>;
  close(): Promise<void>;
}

export interface Upscaler {
  readonly task: 'sr';
  /** Output size / input size. */
  readonly scale: number;
  upscale<I extends ImageInput>(input: I, options?: TransformCallOptions): Promise<ImageOutput<I>>;
  close(): Promise<void>;
}

/**
 * A style model ready to stylise images.
 * @throws RangeError E_OPTIONS for a super-resolution model or bad options; as the model loaders
 * @example
 * const stylizer = await createStylizer({ model: 'wave' });
 * const png = await stylizer.stylize('photo.jpg', { strength: 0.8 });
 * await stylizer.close();
 */
export async function createStylizer(options: ImageTransformerOptions = {}): Promise<Stylizer> {
  const core = await openCore('style', options);
  return {
    task: 'style',
    stylize: async (input, call = {}) => {
      const strength = checkNumber(call.strength ?? 1, 'options.strength', 'a number from 0 to 1', 0, 1);
      // Colour first (it needs the pure stylisation's luminance), then the blend with the input.
      const finish = (source: RgbImage, styled: RgbImage): RgbImage => {
        const coloured = call.preserveColor ? preserveColor(source, styled) : styled;
        return strength < 1 ? blend(source, coloured, strength) : coloured;
      };
      return core.run(input, call, finish);
    },
    close: core.close,
  };
}

/**
 * A super-resolution model ready to upscale images.
 * @throws RangeError E_OPTIONS for a style model or bad options; as the model loaders
 * @example
 * const upscaler = await createUpscaler(); // the bundled default x4
 * const big = await upscaler.upscale(await readFile('small.png'));
 */
export async function createUpscaler(options: ImageTransformerOptions = {}): Promise<Upscaler> {
  const core = await openCore('sr', options);
  return { task: 'sr', scale: core.pool.scale, upscale: (input, call = {}) => core.run(input, call), close: core.close };
}

interface Core {
  readonly pool: InferencePool;
  run<I extends ImageInput>(input: I, call: TransformCallOptions, finish?: (source: RgbImage, output: RgbImage) => RgbImage): Promise<ImageOutput<I>>;
  close(): Promise<void>;
}

async function openCore(task: 'style' | 'sr', options: ImageTransformerOptions): Promise<Core> {
  const workers = checkInteger(options.workers ?? 0, 'options.workers', 0, Infinity, 'a non-negative integer (0: this thread)');
  if (workers > 0 && options.backend === 'webgpu') {
    throw optionRangeError('options.workers', "0 or absent with backend 'webgpu' (worker threads run WASM; WebGPU runs in this thread, which holds the GPU). Leave workers out to run on WebGPU, or leave backend out for WASM workers", workers);
  }
  const model = await locateModel(task, options.model);
  const tiling = { ...(options.tile !== undefined ? { tile: options.tile } : {}), ...(options.overlap !== undefined ? { overlap: options.overlap } : {}) };
  const queue = options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {};
  let pool: InferencePool;
  if (workers === 0) {
    const { selectBackend } = await import('../runtime/index.js');
    await selectBackend({ purpose: 'infer', ...(options.backend ? { backend: options.backend } : {}) });
    const { createInProcessPool } = await import('../serve/in-process-pool.js');
    pool = await createInProcessPool({ model, ...tiling, ...queue });
  } else {
    if (typeof model !== 'string') {
      if (!(model instanceof Uint8Array)) tf.dispose(Object.values(model.params));
      throw optionTypeError('options.model', 'a model on disk (path, file: URL or bundled name) when workers > 0: each worker loads it', options.model);
    }
    const { createPool } = await import('../serve/pool.node.js');
    pool = await createPool({ model, workers, timeoutMs: 0, ...tiling, ...queue });
  }
  if (pool.task !== task) {
    await pool.close();
    const other = task === 'style' ? 'createUpscaler' : 'createStylizer';
    throw optionRangeError('options.model', `a ${task === 'style' ? 'style' : 'super-resolution'} model (this one is for ${other})`, describe(options.model));
  }
  const { sharpCodec: codec } = await import('../serve/image-codec.node.js');
  return {
    pool,
    async run(input, call, finish) {
      const source = await toPixels(input, codec);
      let output = await pool.run(source.rgb, {
        ...(call.signal ? { signal: call.signal } : {}),
        ...(call.onProgress ? { onProgress: call.onProgress } : {}),
        ...(call.tile !== undefined ? { tile: call.tile } : {}),
        ...(call.overlap !== undefined ? { overlap: call.overlap } : {}),
      });
      if (finish) output = finish(source.rgb, output);
      return (await fromPixels(output, source, pool.scale, call, codec)) as ImageOutput<typeof input>;
    },
    close: () => pool.close(),
  };
}

/** A model path (Node loads it; workers need one), model-file bytes, or an ml5 checkpoint fetched from its folder URL. */
async function locateModel(task: 'style' | 'sr', model: ImageTransformerOptions['model']): Promise<string | Uint8Array | TransformModel> {
  const { resolveModel } = await import('../weights/model-registry.js');
  if (model === undefined) return resolveModel(undefined, { task });
  if (model instanceof Uint8Array) return model;
  const url = model instanceof URL ? model : /^(https?|file):\/\//i.test(model) ? new URL(model) : null;
  if (url === null) return resolveModel(model as string);
  if (url.protocol === 'file:') return fileURLToPath(url);
  const { fetchMl5Checkpoint, isMl5CheckpointUrl } = await import('../weights/fetch-ml5-checkpoint.js');
  if (isMl5CheckpointUrl(url)) return fetchMl5Checkpoint(url);
  return downloadBytes(url, 'model');
}

type Codec = typeof import('../serve/image-codec.node.js').sharpCodec;

/** The input as 8-bit RGB, with what it takes to answer in its own kind. */
interface Source {
  readonly rgb: RgbImage;
  readonly kind: 'encoded' | 'pixels' | 'tensor3d' | 'tensor4d';
  /** Encoded inputs: their format when it is one we write. */
  readonly format?: CodecFormat;
  /** RGBA pixel inputs: the alpha plane. */
  readonly alpha?: Uint8Array;
}

async function toPixels(input: ImageInput, codec: Codec): Promise<Source> {
  if (input instanceof tf.Tensor) return tensorSource(input);
  if (typeof input === 'string' || input instanceof URL || input instanceof Uint8Array || input instanceof ArrayBuffer || input instanceof Blob) {
    const bytes = await encodedBytes(input);
    const { format } = await codec.probe(bytes);
    return { rgb: await codec.decode(bytes), kind: 'encoded', ...(isCodecFormat(format) ? { format } : {}) };
  }
  if (input !== null && typeof input === 'object' && 'data' in input && 'width' in input && 'height' in input) return pixelSource(input);
  throw optionTypeError('input', 'a path, URL, encoded bytes (Uint8Array, Buffer, ArrayBuffer, Blob), { data, width, height } RGB/RGBA pixels or an image tensor', input);
}

async function encodedBytes(input: string | URL | Uint8Array | ArrayBuffer | Blob): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (input instanceof Blob) return new Uint8Array(await input.arrayBuffer());
  const url = input instanceof URL ? input : /^(https?|file):\/\//i.test(input) ? new URL(input) : null;
  if (url !== null && url.protocol !== 'file:') return downloadBytes(url, 'image');
  const path = url !== null ? fileURLToPath(url) : (input as string);
  try {
    return await readFile(path);
  } catch (error) {
    throw perceptualError('E_IO', `Cannot read the image file '${path}': ${(error as Error).message}. Check the path.`, error);
  }
}

const RGB_OR_RGBA = { channels: [3, 4], isData: isByteArray, data: 'a Uint8Array or Uint8ClampedArray', image: 'an object { data, width, height } of RGB or RGBA bytes' } as const;

function pixelSource(image: PixelImage): Source {
  const { width, height, data } = image;
  if (checkPixels(image, 'input', RGB_OR_RGBA) === 3) return { rgb: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height }, kind: 'pixels' };
  // Translucent pixels are composited over white, as every decoder here does; alpha comes back unchanged.
  const alpha = new Uint8Array(width * height);
  for (let p = 0; p < alpha.length; p++) alpha[p] = data[p * 4 + 3]!;
  return { rgb: rgbaToRgb(image, 'input'), kind: 'pixels', alpha };
}

async function tensorSource(tensor: tf.Tensor): Promise<Source> {
  const shape = tensor.shape;
  const ok = (tensor.rank === 3 && shape[2] === 3) || (tensor.rank === 4 && shape[0] === 1 && shape[3] === 3);
  if (!ok) throw optionRangeError('input', 'an image tensor [H, W, 3] or [1, H, W, 3] with values in [0, 1]', `a tensor of shape [${shape.join(', ')}]`);
  // data(), not dataSync(): the webgpu backend reads only asynchronously in Node.
  const data = quantise((await tensor.data()) as Float32Array);
  const [height, width] = tensor.rank === 3 ? shape : shape.slice(1);
  return { rgb: { data, width: width!, height: height! }, kind: tensor.rank === 3 ? 'tensor3d' : 'tensor4d' };
}

async function fromPixels(output: RgbImage, source: Source, scale: number, call: TransformCallOptions, codec: Codec): Promise<Uint8Array | PixelImage | tf.Tensor> {
  if (source.kind === 'encoded') {
    const quality = checkInteger(call.quality ?? 90, 'options.quality', 1, 100);
    const format = checkOneOf(call.format ?? source.format ?? 'png', 'options.format', CODEC_FORMATS);
    return codec.encode(output, { format, quality });
  }
  if (source.kind === 'tensor3d' || source.kind === 'tensor4d') {
    const floats = Float32Array.from(output.data, (v) => v / 255);
    return source.kind === 'tensor3d' ? tf.tensor3d(floats, [output.height, output.width, 3]) : tf.tensor4d(floats, [1, output.height, output.width, 3]);
  }
  if (source.alpha === undefined) return output;
  const pixels = output.width * output.height;
  const rgba = new Uint8ClampedArray(pixels * 4);
  const inWidth = source.rgb.width;
  for (let y = 0; y < output.height; y++) {
    for (let x = 0; x < output.width; x++) {
      const p = y * output.width + x;
      rgba.set(output.data.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = source.alpha[Math.floor(y / scale) * inWidth + Math.floor(x / scale)]!;
    }
  }
  return { data: rgba, width: output.width, height: output.height };
}

function describe(model: ImageTransformerOptions['model']): string {
  return model === undefined ? 'the default model' : model instanceof Uint8Array ? `${model.length} bytes of model` : String(model);
}
