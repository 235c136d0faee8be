/**
 * @file What a run loads besides its data: the loss network (VGG-16/19 with
 * weights from a file or seeded random weights, or a tfjs layers model such
 * as the darknet classifiers) and the style image.
 */
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { perceptualError } from '../errors.js';
import type { PlainBatch } from '../data/sr-degradation.js';
import type { LossNetwork } from '../types.js';
import type { ResolvedTrainOptions } from './train-options.js';

/**
 * Loads the run's loss network: `vgg16`/`vgg19` (weights from
 * `lossWeights`, else random with the run's seed) or a layers model folder.
 * @throws as loadLossNetwork
 */
export async function loadRunLossNetwork(options: ResolvedTrainOptions): Promise<LossNetwork> {
  const isVgg = options.lossNetwork === 'vgg16' || options.lossNetwork === 'vgg19';
  const taps = options.lossTaps ?? undefined;
  // Imported on use: tests and benchmarks that inject a network never load the VGG / layers code.
  let loaders: { loadLossNetwork: typeof import('../networks/load-loss-network.js').loadLossNetwork; loadLayersLossNetwork: typeof import('../networks/layers-loss-network.js').loadLayersLossNetwork };
  try {
    loaders = { ...(await import('../networks/load-loss-network.js')), ...(await import('../networks/layers-loss-network.js')) };
  } catch (error) {
    // TODO(issue 3): drop once src/networks' loader chain always imports; the fallback computes the same features.
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || isVgg) throw error;
    const { loadLayersLossNetworkFallback } = await import('./layers-loss-network-fallback.js');
    return loadLayersLossNetworkFallback(options.lossNetwork, taps ?? []);
  }
  if (isVgg) {
    // `--loss-weights random` gives seeded random weights (benchmarks); absent: the fetched cache.
    const random = options.lossWeights === 'random';
    return loaders.loadLossNetwork({ network: options.lossNetwork as 'vgg16' | 'vgg19', weights: random ? undefined : options.lossWeights ?? undefined, seed: random ? options.seed : undefined, taps });
  }
  const preprocess = LAYERS_PREPROCESS[options.lossPreprocess];
  return loaders.loadLayersLossNetwork(options.lossNetwork, { ...(taps ? { taps } : {}), ...(preprocess ? { preprocess } : {}) });
}

/** Input scalings for layers loss networks; identity ([0, 1] unchanged) is the SPEC section 2 default. */
const LAYERS_PREPROCESS: Readonly<Record<ResolvedTrainOptions['lossPreprocess'], ((x: tf.Tensor4D) => tf.Tensor4D) | null>> = Object.freeze({
  identity: null,
  '255': (x: tf.Tensor4D) => tf.mul(x, 255) as tf.Tensor4D,
  'minus-one-one': (x: tf.Tensor4D) => tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D,
});

/**
 * Decodes the style image, resized (aspect kept) so its long side is `size`.
 * @returns float32 NHWC [1, h, w, 3] in [0, 1]
 * @throws PerceptualError E_IMAGE_DECODE naming the file
 */
export async function loadStyleImage(path: string, size: number): Promise<PlainBatch> {
  try {
    const { data, info } = await sharp(path).resize(size, size, { fit: 'inside' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { shape: [1, info.height, info.width, 3], data: Float32Array.from(data, (v) => v / 255) };
  } catch (error) {
    throw perceptualError('E_IMAGE_DECODE', `Cannot read the style image ${path}: ${(error as Error).message.split('\n')[0]}. Pass a readable JPEG, PNG or WebP with --style.`, error);
  }
}
