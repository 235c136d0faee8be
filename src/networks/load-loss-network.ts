/**
 * @file The one function the CLI and training use to get a loss network
 * (SPEC section 2): VGG from a weights file, the cache, or random weights
 * (benchmarks/tests), or any tfjs layers model. `train` and `optimize` name
 * theirs with the `--loss-*` flags; src/train/run-inputs.ts translates those
 * to a {@link LossNetworkSpec}.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, perceptualError } from '../errors.js';
import type { LossNetwork } from '../types.js';
import { cachedVggWeightsPath } from '../weights/fetch-weights.js';
import { loadVggWeights } from '../weights/vgg-weights.js';
import { loadLayersLossNetwork } from './layers-loss-network.js';
import { createVgg } from './vgg.js';
import { isVggNetwork, VGG_LAYERS } from './vgg-layers.js';
import { randomVggWeights } from './vgg-weights.js';

/** Input scalings of a layers loss network; identity ([0, 1] unchanged) is the SPEC section 2 default. */
export type LayersPreprocess = 'identity' | '255' | 'minus-one-one';

const LAYERS_PREPROCESS: Readonly<Record<LayersPreprocess, ((x: tf.Tensor4D) => tf.Tensor4D) | null>> = Object.freeze({
  identity: null,
  '255': (x: tf.Tensor4D) => tf.mul(x, 255) as tf.Tensor4D,
  'minus-one-one': (x: tf.Tensor4D) => tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D,
});

/** What loss network to build. */
export interface LossNetworkSpec {
  network: 'vgg16' | 'vgg19' | 'layers';
  /** A VGG weights file (.h5 / .safetensors) or a layers model folder / model.json. */
  weights?: string;
  /** VGG only: random He-normal weights with this seed when no weights are given (benchmarks, tests). */
  seed?: number;
  /** The taps that will be used; VGG then keeps only the layers up to the deepest. */
  taps?: readonly string[];
  /** Layers only: the input scaling (default identity). */
  preprocess?: LayersPreprocess;
  /** Where fetched weights live (default defaultCacheDir()). */
  cacheDir?: string;
}

/**
 * Builds the loss network described by `spec`. For VGG without `weights` or
 * `seed`, uses the file `perceptual weights fetch` put in the cache.
 * @example
 *   const net = await loadLossNetwork({ network: 'vgg16', taps: ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'] });
 * @throws PerceptualError E_WEIGHTS_MISMATCH / E_WEIGHTS_FORMAT / E_IO from the
 *   importers, E_IO when no VGG weights are available (saying how to get them),
 *   RangeError E_OPTIONS for an unknown network, tap or preprocess.
 */
export async function loadLossNetwork(spec: LossNetworkSpec): Promise<LossNetwork> {
  if (spec.network === 'layers') {
    if (!spec.weights) throw perceptualError('E_OPTIONS', 'a layers loss network needs a model: pass --weights <folder with model.json>.');
    const name = spec.preprocess ?? 'identity';
    if (!Object.hasOwn(LAYERS_PREPROCESS, name)) throw optionRangeError('preprocess', `one of ${Object.keys(LAYERS_PREPROCESS).join(', ')}`, name);
    const preprocess = LAYERS_PREPROCESS[name];
    return loadLayersLossNetwork(spec.weights, { ...(spec.taps ? { taps: spec.taps } : {}), ...(preprocess ? { preprocess } : {}) });
  }
  if (!isVggNetwork(spec.network)) throw optionRangeError('network', 'one of vgg16, vgg19, layers', spec.network);
  const layers = VGG_LAYERS[spec.network];
  let upTo: string | undefined;
  for (const tap of spec.taps ?? []) {
    if (!layers.includes(tap)) throw optionRangeError('taps', `${spec.network} layers (${layers.join(', ')})`, tap);
    if (upTo === undefined || layers.indexOf(tap) > layers.indexOf(upTo)) upTo = tap;
  }
  const options = upTo ? { upTo } : {};
  if (spec.weights) return createVgg(await loadVggWeights(spec.weights, { network: spec.network }), options);
  if (spec.seed !== undefined) return createVgg(randomVggWeights(spec.network, spec.seed, options), options);
  const cached = cachedVggWeightsPath(spec.network, spec.cacheDir);
  if (existsSync(cached)) return createVgg(await loadVggWeights(cached, { network: spec.network }), options);
  throw perceptualError('E_IO', `No ${spec.network} weights: ${cached} does not exist. Run \`perceptual weights fetch ${spec.network}\` or pass --weights <file> (a Keras notop .h5 or a torchvision .safetensors state dict).`);
}
