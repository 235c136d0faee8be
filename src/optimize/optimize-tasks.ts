/**
 * @file The two optimisation baselines of Johnson et al. 2016 on top of
 * `optimizeImage`: style transfer (Gatys et al.: content features + style
 * Grams, from the content image or white noise) and super-resolution by
 * feature inversion (feature loss to the HR image's features + TV, from the
 * bicubic upsampling of the LR image made by the SR degradation, SPEC section 4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { degradeForSr } from '../data/sr-degradation.js';
import { optionRangeError, tensorShapeError } from '../errors.js';
import { styleTargets, type ResolvedPerceptualLossOptions } from '../losses/perceptual.js';
import { Random } from '../random.js';
import type { ImageBatch, LossNetwork } from '../types.js';
import { bicubicUpsample } from './bicubic-upsample.js';
import { optimizeImage, type OptimizeImageOptions, type OptimizeImageResult } from './optimize-image.js';

/** Where style transfer by optimisation starts. */
export const STYLE_INITS = Object.freeze(['content', 'noise'] as const);
export type StyleInit = (typeof STYLE_INITS)[number];

/** Inputs of `optimizeStyle`. */
export interface OptimizeStyleInputs {
  /** float32 `1 x H x W x 3` in [0, 1]; not disposed. */
  content: ImageBatch;
  /** float32 `1 x h x w x 3` in [0, 1] (any size); not disposed. */
  style: ImageBatch;
  /** Default `content`. */
  init?: StyleInit;
  /** Seed of the white-noise start (default 0). */
  seed?: number;
}

/**
 * Style transfer by optimisation.
 * @returns as `optimizeImage`; `result.image` is the caller's to dispose.
 * @throws RangeError E_OPTIONS for an unknown init; as `optimizeImage` and `styleTargets`.
 * @example
 * const r = await optimizeStyle(vgg, loss, { content, style }, { iterations: 300 });
 */
export async function optimizeStyle(network: LossNetwork, loss: ResolvedPerceptualLossOptions, inputs: OptimizeStyleInputs, options: OptimizeImageOptions = {}): Promise<OptimizeImageResult> {
  const init = inputs.init ?? 'content';
  if (!STYLE_INITS.includes(init)) throw optionRangeError('inputs.init', `one of ${STYLE_INITS.join(', ')}`, init);
  const styleGrams = styleTargets(network, inputs.style, loss.styleWeight > 0 ? loss.styleLayers : []);
  const contentFeatures = loss.contentWeight > 0 && loss.contentLayers.length > 0 ? tf.tidy(() => network.features(inputs.content, loss.contentLayers)) : undefined;
  let start: ImageBatch = inputs.content;
  if (init === 'noise') {
    // White noise, uniform in [0, 1), seeded (Gatys et al. start from white noise).
    const random = new Random(inputs.seed ?? 0);
    const data = new Float32Array(inputs.content.size);
    for (let i = 0; i < data.length; i++) data[i] = random.next();
    start = tf.tensor4d(data, inputs.content.shape);
  }
  try {
    return await optimizeImage(network, loss, start, { content: inputs.content, contentFeatures, styleGrams }, options);
  } finally {
    if (start !== inputs.content) start.dispose();
    tf.dispose(Object.values(styleGrams));
    if (contentFeatures) tf.dispose(Object.values(contentFeatures));
  }
}

/** What `optimizeSr` returns besides the image. */
export interface OptimizeSrResult extends OptimizeImageResult {
  /** The bicubic start, float32 `1 x H' x W' x 3`; caller disposes. */
  bicubic: ImageBatch;
  /** The HR image cropped to a multiple of the scale, float32 `1 x H' x W' x 3`; caller disposes. */
  target: ImageBatch;
}

/**
 * Super-resolution by feature inversion: degrades `hr` (blur + bicubic
 * downsampling by `scale`), upsamples it bicubically, and minimises the
 * loss (feature loss to the HR features + TV under the SR defaults)
 * from there. The HR image is cropped (top-left) to a multiple of `scale`.
 * @param hr float32 `1 x H x W x 3` in [0, 1]; not disposed.
 * @throws PerceptualError E_TENSOR_SHAPE when hr is smaller than the scale; as `optimizeImage`.
 */
export async function optimizeSr(network: LossNetwork, loss: ResolvedPerceptualLossOptions, hr: ImageBatch, scale: number, options: OptimizeImageOptions = {}): Promise<OptimizeSrResult> {
  const [, h, w] = hr.shape;
  const ch = Math.floor(h / scale) * scale;
  const cw = Math.floor(w / scale) * scale;
  if (ch === 0 || cw === 0) throw tensorShapeError('hr', 'optimizeSr', `at least ${scale} x ${scale} pixels for scale ${scale}`, hr.shape);
  const target = tf.slice(hr, [0, 0, 0, 0], [1, ch, cw, 3]);
  const low = degradeForSr({ shape: [1, ch, cw, 3], data: Float32Array.from(await target.data()) }, scale);
  const up = bicubicUpsample(low, scale);
  const bicubic = tf.tensor4d(up.data, [1, ch, cw, 3]);
  const contentFeatures = loss.contentLayers.length > 0 ? tf.tidy(() => network.features(target, loss.contentLayers)) : undefined;
  try {
    const result = await optimizeImage(network, loss, bicubic, { content: target, contentFeatures }, options);
    return { ...result, bicubic, target };
  } catch (error) {
    tf.dispose([bicubic, target]);
    throw error;
  } finally {
    if (contentFeatures) tf.dispose(Object.values(contentFeatures));
  }
}
