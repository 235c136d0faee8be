/**
 * @file What a run loads besides its data: the loss network (VGG-16/19 with
 * weights from a file or seeded random weights, or a tfjs layers model such
 * as the darknet classifiers) and the style image.
 */
import { loadSharp } from '../data/sharp.js';
import { perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import { checkImageHeader } from '../data/image-header.js';
import { type ImageLimits, resolvedMaxPixels } from '../data/image-limits.js';
import type { PlainBatch } from '../data/sr-degradation.js';
import { type PerceptualLossOptions, resolvePerceptualLossOptions } from '../losses/perceptual-options.js';
import type { LayersPreprocess } from '../networks/load-loss-network.js';
import type { LossNetwork } from '../types.js';
import { withReflectedBorder } from '../networks/reflected-border.js';
import type { ResolvedTrainOptions } from './train-options.js';

/** What loss network to load, as the `--loss-*` flags name it (shared by `train` and `optimize`). */
export interface NamedLossNetworkSpec {
  /** `vgg16`, `vgg19`, or a folder (or model.json) of a tfjs layers model. */
  network: string;
  /** VGG weights file; `random` (or absent with `seed`) for seeded random weights; absent: the fetched cache. */
  weights?: string;
  /** Seed of `weights: 'random'`. */
  seed?: number;
  /** Taps to expose (VGG: built up to the deepest; layers model: default every supported layer). */
  taps?: readonly string[];
  /** Input scaling of a layers loss network (default identity: [0, 1] unchanged, SPEC section 2). */
  preprocess?: LayersPreprocess;
}

/**
 * Loads the loss network `spec` names: `vgg16`/`vgg19` (weights from a file,
 * `random` for seeded random weights, absent for the fetched cache) or a
 * tfjs layers model folder. Translates the flags' vocabulary to
 * loadLossNetwork's (`--weights random` + the run's seed, a folder as the network).
 * @throws as loadLossNetwork
 */
export async function loadNamedLossNetwork(spec: NamedLossNetworkSpec): Promise<LossNetwork> {
  // Imported on use: tests and benchmarks that inject a network never load the VGG / layers code.
  const { loadLossNetwork } = await import('../networks/load-loss-network.js');
  if (spec.network === 'vgg16' || spec.network === 'vgg19') {
    // `random` gives seeded random weights (benchmarks); absent: the fetched cache.
    const random = spec.weights === 'random';
    return loadLossNetwork({ network: spec.network, weights: random ? undefined : spec.weights, seed: random ? spec.seed : undefined, taps: spec.taps });
  }
  return loadLossNetwork({ network: 'layers', weights: spec.network, taps: spec.taps, preprocess: spec.preprocess });
}

/** True when `loss` weights a feature or style term, the only terms that run a loss network. */
export function lossNeedsNetwork(loss: PerceptualLossOptions): boolean {
  const r = resolvePerceptualLossOptions(loss);
  return (r.contentWeight > 0 && r.contentLayers.length > 0) || (r.styleWeight > 0 && r.styleLayers.length > 0);
}

/**
 * The loss network of a run whose loss is pixel and TV terms only (SR's
 * pixel-loss baseline): nothing to load or download, no taps.
 */
export const NO_LOSS_NETWORK: LossNetwork = Object.freeze({
  name: 'none',
  source: 'pixel and total-variation losses only',
  taps: Object.freeze([]) as readonly string[],
  features(): never {
    throw perceptualError('E_OPTIONS', 'This run has no loss network (its feature and style weights are 0). Give --content-weight or --style-weight to train with one.');
  },
  dispose(): void {},
});

/**
 * Loads the run's loss network: `vgg16`/`vgg19` (weights from
 * `lossWeights`, else the cache; `random` for the run's seed) or a layers model folder.
 * @throws as loadNamedLossNetwork
 */
export async function loadRunLossNetwork(options: ResolvedTrainOptions): Promise<LossNetwork> {
  const network = await loadNamedLossNetwork({
    network: options.lossNetwork, weights: options.lossWeights ?? undefined, seed: options.seed,
    taps: options.lossTaps ?? undefined, preprocess: options.lossPreprocess,
  });
  return options.lossBorder === 'reflect' ? withReflectedBorder(network, REFLECTED_BORDER_MARGIN) : network;
}

/** Reflected margin (px) of `lossBorder: 'reflect'`: a multiple of every stride down to 1/16 resolution. */
export const REFLECTED_BORDER_MARGIN = 16;

/**
 * Decodes the style image, resized (aspect kept) so its long side is `size`;
 * `limits` as for every decoder (pixel limit, a warning for an animation's first frame).
 * @returns float32 NHWC [1, h, w, 3] in [0, 1]
 * @throws PerceptualError E_IMAGE_DECODE naming the file (and the limit, for too many pixels)
 */
export async function loadStyleImage(path: string, size: number, limits: ImageLimits = {}): Promise<PlainBatch> {
  await checkImageHeader(path, path, limits);
  try {
    const { data, info } = await (await loadSharp())(path, { limitInputPixels: resolvedMaxPixels(limits) }).resize(size, size, { fit: 'inside' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { shape: [1, info.height, info.width, 3], data: Float32Array.from(data, (v) => v / 255) };
  } catch (error) {
    throw perceptualError('E_IMAGE_DECODE', `Cannot read the style image ${path}: ${firstLine(error)}. Pass a readable JPEG, PNG or WebP with --style.`, error);
  }
}
