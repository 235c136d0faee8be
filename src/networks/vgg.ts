/**
 * @file VGG-16 / VGG-19 as a frozen loss network with named taps (SPEC
 * section 2). Weights become plain tensors (never `tf.Variable`s), so no
 * optimiser can see them and no gradient is computed for them. The forward
 * pass stops at the deepest requested tap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, optionTypeError, perceptualError, tensorShapeError } from '../errors.js';
import type { FeatureMaps, ImageBatch, LossNetwork } from '../types.js';
import { lastConvFor, VGG_LAYERS, type VggNetwork, vggMinimumSize } from './vgg-layers.js';
import { validateVggWeights, type VggPreprocessing, type VggWeights } from './vgg-weights.js';

export { VGG_LAYERS, VGG_CONVS, VGG_NETWORKS, isVggNetwork, vggMinimumSize, type VggNetwork, type VggConvSpec } from './vgg-layers.js';
export { randomVggWeights, validateVggWeights, type VggWeights, type VggConvWeights, type VggPreprocessing } from './vgg-weights.js';

/** ImageNet statistics used by torchvision/timm (SPEC section 2). */
const TORCHVISION_MEAN = [0.485, 0.456, 0.406] as const;
const TORCHVISION_STD = [0.229, 0.224, 0.225] as const;
/** Caffe/Keras channel means in B, G, R order, on the 0..255 scale (SPEC section 2). */
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;

/**
 * Maps an RGB batch in [0, 1] to what the weights were trained on
 * (SPEC section 2): torchvision `(x - mean) / std` in RGB; caffe `255 x`,
 * RGB to BGR, minus the BGR means.
 * @param images float32 NHWC RGB in [0, 1]
 * @returns float32 NHWC; caller disposes.
 */
export function vggPreprocess(images: tf.Tensor4D, preprocessing: VggPreprocessing): tf.Tensor4D {
  return tf.tidy(() => {
    if (preprocessing === 'torchvision') {
      return tf.div(tf.sub(images, tf.tensor1d([...TORCHVISION_MEAN])), tf.tensor1d([...TORCHVISION_STD]));
    }
    return tf.sub(tf.mul(tf.reverse(images, 3), 255), tf.tensor1d([...CAFFE_MEAN_BGR]));
  });
}

/** Options of createVgg. */
export interface CreateVggOptions {
  /**
   * The deepest layer the network will ever be asked for. Only the
   * convolutions up to it become tensors (VGG-16 in full is 14.7M parameters,
   * 59 MB of float32); deeper taps are then unavailable.
   */
  upTo?: string;
}

interface ConvTensors {
  readonly kernel: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
}

/**
 * Builds a frozen VGG loss network from imported or random weights.
 * Taps are the layer names of VGG_LAYERS (conv1_1, relu1_1, ..., pool5) up to
 * `upTo`, or up to the deepest layer the weights reach.
 * @example
 *   const vgg = createVgg(await loadVggWeights('vgg16.h5'), { upTo: 'relu4_3' });
 *   const maps = vgg.features(images, ['relu2_2']); // caller disposes maps.relu2_2
 * @throws PerceptualError E_WEIGHTS_MISMATCH for weights of the wrong shape or
 *   not reaching `upTo`; RangeError E_OPTIONS for an unknown `upTo`.
 */
export function createVgg(weights: VggWeights, options: CreateVggOptions = {}): LossNetwork {
  const network: VggNetwork = weights.network;
  const layers = VGG_LAYERS[network];
  const present = validateVggWeights(weights);
  const lastPresent = present[present.length - 1]!;
  let depth: number;
  if (options.upTo !== undefined) {
    const needed = lastConvFor(network, options.upTo);
    if (!needed) throw optionRangeError('options.upTo', `a ${network} layer (${layers.join(', ')})`, options.upTo);
    if (needed.index > lastPresent.index) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${weights.source}: tap ${options.upTo} needs ${needed.name}, but the ${network} weights stop at ${lastPresent.name}. Use a complete weights file or a shallower tap.`);
    }
    depth = layers.indexOf(options.upTo);
  } else {
    // Everything the weights reach: the ReLU after the last conv, plus its pool if the block is complete.
    depth = lastPresent.index + 1;
    if (layers[depth + 1]?.startsWith('pool')) depth += 1;
  }
  const taps = Object.freeze(layers.slice(0, depth + 1));
  const convs = new Map<string, ConvTensors>();
  for (const spec of present) {
    if (spec.index > depth) break;
    const w = weights.convs[spec.name]!;
    convs.set(spec.name, {
      kernel: tf.tensor4d(w.kernel, [3, 3, spec.inChannels, spec.outChannels], 'float32'),
      bias: tf.tensor1d(w.bias, 'float32'),
    });
  }
  let disposed = false;

  const features = (images: ImageBatch, requested: readonly string[]): FeatureMaps => {
    if (disposed) throw perceptualError('E_OPTIONS', `${network} (${weights.source}) was disposed. Create the network again.`);
    if (!Array.isArray(requested) || requested.length === 0) throw optionTypeError('taps', `a non-empty array of ${network} layer names`, requested);
    let deepest = -1;
    for (const tap of requested) {
      const position = taps.indexOf(tap);
      if (position < 0) {
        const reason = layers.includes(tap) ? ` (the network was built up to ${taps[taps.length - 1]})` : '';
        throw optionRangeError('taps', `${network} layers from ${taps[0]} to ${taps[taps.length - 1]}${reason}`, tap);
      }
      deepest = Math.max(deepest, position);
    }
    if (images.rank !== 4 || images.shape[3] !== 3) throw tensorShapeError('images', `${network}.features`, 'rank 4 NHWC with 3 channels', images.shape);
    const minSide = vggMinimumSize(network, layers[deepest]!)!;
    if (images.shape[1] < minSide || images.shape[2] < minSide) {
      throw perceptualError(
        'E_TENSOR_SHAPE',
        `Argument 'images' passed to '${network}.features' must be at least ${minSide}x${minSide} pixels for tap ${layers[deepest]} (each 2x2 max pool before it halves the size), got shape [${images.shape.join(',')}]. Use larger images or shallower layers.`,
      );
    }
    return tf.tidy(() => {
      const wanted = new Set(requested);
      const out: FeatureMaps = {};
      let x = vggPreprocess(images, weights.preprocessing);
      for (let i = 0; i <= deepest; i++) {
        const layer = layers[i]!;
        const conv = convs.get(layer);
        if (conv) {
          // 3x3, stride 1, zero padding 1 == 'same' (SPEC section 2).
          x = tf.add(tf.conv2d(x, conv.kernel, 1, 'same'), conv.bias);
        } else if (layer.startsWith('relu')) {
          x = tf.relu(x);
        } else {
          // 2x2 max pool, stride 2; 'valid' floors odd sizes as torchvision and Keras do.
          x = tf.maxPool(x, 2, 2, 'valid');
        }
        if (wanted.has(layer)) out[layer] = x;
      }
      return out;
    });
  };

  return {
    name: network,
    taps,
    source: weights.source,
    features,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const { kernel, bias } of convs.values()) tf.dispose([kernel, bias]);
      convs.clear();
    },
  };
}
