/**
 * @file Super-resolution evaluation as papers report it: for every image of
 * an HR folder, get its LR input (a provided file matched by name, or this
 * project's degradation: Gaussian blur sigma 1 then bicubic, SPEC section 4),
 * upscale it with the model and with the bicubic baseline, and measure PSNR
 * and SSIM on Y and RGB with a border of `scale` pixels cropped
 * (src/metrics).
 *
 * Conventions:
 * - the HR image is cropped at the bottom/right to a multiple of the scale
 *   (MATLAB `modcrop`), so SR output and HR have the same size;
 * - the LR image is quantised to 8 bits before either upscaler sees it, as an
 *   LR file would be (standard LR sets such as Set5 `LR_bicubic_x4` are
 *   MATLAB bicubic downsamplings WITHOUT blur: pass them with `lrDir`);
 * - the bicubic baseline is MATLAB `imresize` bicubic (metrics/bicubic-upscale.ts).
 */
import { join, parse } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, perceptualError } from '../errors.js';
import { degradeForSr } from '../data/sr-degradation.js';
import { writeImage } from '../data/image-io.js';
import { bicubicUpscale, type ImageQuality, imageQuality, quantizeImage } from '../metrics/index.js';
import type { FloatImage, RgbImage } from '../pixels.js';
import { checkInteger } from '../validate.js';
import { transform } from '../networks/transform.js';
import type { TransformModel } from '../types.js';
import { evaluateEach, type EvalProgressOptions, type EvalResult, meanFields } from './eval-rows.js';
import { listImages, matchByName, readFloatImage } from './image-folder.js';

/** Options of `evaluateSr`. */
export interface EvalSrOptions extends EvalProgressOptions<SrEvalRow> {
  /** Folder of high-resolution ground-truth images. */
  hrDir: string;
  /** Folder of LR inputs matched by file name; default: degrade each HR image (SPEC section 4). */
  lrDir?: string;
  /** An SR model; without it only the bicubic baseline is measured. */
  model?: TransformModel;
  /** The factor; default the model's. Required without a model; must equal the model's. */
  scale?: number;
  /** Save `model/NAME.png` and `bicubic/NAME.png` here. */
  outDir?: string;
  /** Round Y like MATLAB rgb2ycbcr on uint8 (default false). */
  roundY?: boolean;
}

/** The metrics of one image. */
export interface SrEvalRow {
  readonly image: string;
  /** HR size after the modcrop. */
  readonly width: number;
  readonly height: number;
  readonly model?: ImageQuality;
  readonly bicubic: ImageQuality;
}

/** Per-image rows and the mean of each metric over images. */
export interface SrEvalResult extends EvalResult<SrEvalRow, { readonly model?: ImageQuality; readonly bicubic: ImageQuality }> {
  readonly scale: number;
  /** `files` (lrDir) or `degradation` (blur sigma 1 + bicubic). */
  readonly lrSource: 'files' | 'degradation';
}

/** Crops H and W down to multiples of `scale` (MATLAB modcrop: keeps the top-left). */
export function modcrop(image: FloatImage, scale: number): FloatImage {
  const width = image.width - (image.width % scale);
  const height = image.height - (image.height % scale);
  if (width === image.width && height === image.height) return image;
  if (width < 1 || height < 1) throw optionRangeError('HR image size', `at least ${scale}x${scale} for scale ${scale}`, `${image.width}x${image.height}`);
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) data.set(image.data.subarray(y * image.width * 3, (y * image.width + width) * 3), y * width * 3);
  return { width, height, channels: 3, data };
}

/** The mean of each metric over `values`. */
export function meanQuality(values: readonly ImageQuality[]): ImageQuality {
  return meanFields(values, ['psnrY', 'ssimY', 'psnrRgb', 'ssimRgb']);
}

/**
 * Evaluates a model (and bicubic) on an HR folder.
 * @throws RangeError E_OPTIONS for a missing or conflicting scale; PerceptualError
 *   E_IO / E_DATASET / E_IMAGE_DECODE for folders and files, E_TENSOR_SHAPE when an LR
 *   file does not match its HR image, E_OPTIONS when the model is not an SR model.
 * @example
 * const result = await evaluateSr({ hrDir: 'Set5/HR', lrDir: 'Set5/LR_bicubic_x4', scale: 4 });
 */
export async function evaluateSr(options: EvalSrOptions): Promise<SrEvalResult> {
  const { model } = options;
  if (model !== undefined && model.arch.task !== 'sr') {
    throw perceptualError('E_OPTIONS', `The model is a ${model.arch.task} model; eval sr needs a super-resolution model (task sr).`);
  }
  const scale = options.scale ?? (model?.arch.task === 'sr' ? model.arch.scale : undefined);
  if (scale === undefined) throw optionRangeError('options.scale', 'given (2, 4 or 8) when no model is', scale);
  checkInteger(scale, 'options.scale', 1);
  if (model?.arch.task === 'sr' && model.arch.scale !== scale) {
    throw optionRangeError('options.scale', `the model's scale ${model.arch.scale}, or left out`, scale);
  }
  const names = await listImages(options.hrDir, 'HR');
  const lrNames = options.lrDir === undefined ? [] : await listImages(options.lrDir, 'LR');
  const rows = await evaluateEach(names, options, async (name): Promise<SrEvalRow> => {
    const hr = modcrop(await readFloatImage(options.hrDir, name), scale);
    const lr = quantizeImage(await lowResolution(hr, name, scale, options.lrDir, lrNames));
    const border = { border: scale, roundY: options.roundY };
    const bicubic = bicubicUpscale(lr, scale);
    const sr = model === undefined ? undefined : runModel(model, lr);
    if (options.outDir !== undefined) {
      const file = `${parse(name).name}.png`;
      await saveImage(join(options.outDir, 'bicubic', file), bicubic);
      if (sr !== undefined) await saveImage(join(options.outDir, 'model', file), sr);
    }
    return {
      image: name,
      width: hr.width,
      height: hr.height,
      ...(sr === undefined ? {} : { model: imageQuality(hr, sr, border) }),
      bicubic: imageQuality(hr, bicubic, border),
    };
  });
  const modelRows = rows.flatMap((r) => (r.model === undefined ? [] : [r.model]));
  return {
    scale,
    lrSource: options.lrDir === undefined ? 'degradation' : 'files',
    rows,
    mean: { ...(model === undefined ? {} : { model: meanQuality(modelRows) }), bicubic: meanQuality(rows.map((r) => r.bicubic)) },
  };
}

async function lowResolution(hr: FloatImage, name: string, scale: number, lrDir: string | undefined, lrNames: readonly string[]): Promise<FloatImage> {
  if (lrDir === undefined) {
    const low = degradeForSr({ shape: [1, hr.height, hr.width, 3], data: hr.data }, scale);
    return { width: low.shape[2], height: low.shape[1], channels: 3, data: low.data };
  }
  const lrName = matchByName(name, lrNames, lrDir, 'LR');
  const lr = await readFloatImage(lrDir, lrName);
  if (lr.width * scale !== hr.width || lr.height * scale !== hr.height) {
    throw perceptualError(
      'E_TENSOR_SHAPE',
      `LR image '${join(lrDir, lrName)}' is ${lr.width}x${lr.height} but its HR image '${name}' is ${hr.width}x${hr.height} (after cropping to a multiple of ${scale}); at scale ${scale} the LR image must be ${hr.width / scale}x${hr.height / scale}. Check --scale and the folders.`,
    );
  }
  return lr;
}

/** Runs the model on one 8-bit LR image; returns its float output. */
function runModel(model: TransformModel, lr: RgbImage): FloatImage {
  const out = tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(lr.data, (v) => v / 255), [1, lr.height, lr.width, 3]);
    return transform(model, input, { lean: true });
  });
  try {
    const [, height, width] = out.shape;
    return { width, height, channels: 3, data: out.dataSync() as Float32Array };
  } finally {
    out.dispose();
  }
}

async function saveImage(path: string, image: FloatImage): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(path, '..'), { recursive: true });
  const tensor = tf.tensor4d(image.data, [1, image.height, image.width, 3]);
  try {
    await writeImage(path, tensor);
  } finally {
    tensor.dispose();
  }
}
