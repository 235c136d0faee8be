/**
 * @file The in-memory form of VGG weights that every importer produces
 * (torchvision safetensors, Keras HDF5, random init), and its validation.
 * Kernels are HWIO, the layout tf.conv2d takes, so the network converts
 * nothing at run time.
 */
import { optionRangeError, perceptualError } from '../errors.js';
import { Random } from '../random.js';
import { lastConvFor, VGG_CONVS, VGG_LAYERS, type VggConvSpec, type VggNetwork } from './vgg-layers.js';

/** Which preprocessing the weights were trained with (SPEC section 2). */
export type VggPreprocessing = 'torchvision' | 'caffe';

/** One convolution's parameters. */
export interface VggConvWeights {
  /** Row-major HWIO values, length 3 * 3 * in * out. */
  readonly kernel: Float32Array;
  /** One value per output channel. */
  readonly bias: Float32Array;
  /** `[3, 3, in, out]`. */
  readonly shape: readonly [3, 3, number, number];
}

/**
 * VGG convolution weights keyed by layer name (`conv1_1` ...). Holding only a
 * prefix of the convolutions (say up to conv3_3) is allowed: the network then
 * offers only the taps those layers reach.
 */
export interface VggWeights {
  readonly network: VggNetwork;
  readonly preprocessing: VggPreprocessing;
  /** Provenance: a path, a URL or `random(seed)`. */
  readonly source: string;
  readonly convs: Readonly<Record<string, VggConvWeights>>;
}

/**
 * Checks that the weights hold a non-empty prefix of the network's
 * convolutions with the right shapes, and returns that prefix.
 * @throws PerceptualError E_WEIGHTS_MISMATCH naming the source, the layer and
 *   the expected vs actual shape, or a gap (a conv missing while a later one is present).
 */
export function validateVggWeights(weights: VggWeights): readonly VggConvSpec[] {
  const specs = VGG_CONVS[weights.network];
  const present: VggConvSpec[] = [];
  let gap: VggConvSpec | undefined;
  for (const spec of specs) {
    const conv = weights.convs[spec.name];
    if (!conv) {
      gap ??= spec;
      continue;
    }
    if (gap) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${weights.source}: ${weights.network} weights have ${spec.name} but not ${gap.name}; every convolution before the deepest one must be present. Re-export the full state dict.`);
    }
    const expected = [3, 3, spec.inChannels, spec.outChannels];
    if (conv.shape.length !== 4 || conv.shape.some((d, i) => d !== expected[i])) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${weights.source}: ${spec.name} kernel has shape [${conv.shape.join(',')}], expected HWIO [${expected.join(',')}] for ${weights.network}. Check that the file holds ${weights.network} weights.`);
    }
    if (conv.kernel.length !== 9 * spec.inChannels * spec.outChannels) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${weights.source}: ${spec.name} kernel holds ${conv.kernel.length} values, expected ${9 * spec.inChannels * spec.outChannels}. Re-export the weights.`);
    }
    if (conv.bias.length !== spec.outChannels) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${weights.source}: ${spec.name} bias has shape [${conv.bias.length}], expected [${spec.outChannels}]. Check that the file holds ${weights.network} weights.`);
    }
    present.push(spec);
  }
  if (present.length === 0) {
    throw perceptualError('E_WEIGHTS_MISMATCH', `${weights.source}: no ${weights.network} convolution weights found (expected at least conv1_1). Pass a torchvision/timm VGG state dict or a Keras VGG notop file.`);
  }
  return present;
}

/** Options of randomVggWeights. */
export interface RandomVggWeightsOptions {
  /** Generate only the convolutions needed up to this layer (saves time and memory). */
  upTo?: string;
}

/**
 * He-normal random VGG weights (std sqrt(2 / (9 * in)), zero bias), for
 * benchmarks and tests where real weights are not available. They use
 * torchvision preprocessing (an arbitrary but documented choice: inputs are
 * then roughly zero-mean, unit-variance, which suits He initialisation).
 * @param seed any 32-bit integer; the same seed gives the same weights
 * @throws RangeError E_OPTIONS for an `upTo` that is not a layer of `network`
 */
export function randomVggWeights(network: VggNetwork, seed: number, options: RandomVggWeightsOptions = {}): VggWeights {
  const random = new Random(seed);
  const convs: Record<string, VggConvWeights> = {};
  let stopAt = Infinity;
  if (options.upTo !== undefined) {
    const last = lastConvFor(network, options.upTo);
    if (!last) throw optionRangeError('options.upTo', `a ${network} layer (${VGG_LAYERS[network].join(', ')})`, options.upTo);
    stopAt = last.index;
  }
  for (const spec of VGG_CONVS[network]) {
    if (spec.index > stopAt) break;
    const count = 9 * spec.inChannels * spec.outChannels;
    const std = Math.sqrt(2 / (9 * spec.inChannels));
    const kernel = new Float32Array(count);
    for (let i = 0; i < count; i++) kernel[i] = random.normal() * std;
    convs[spec.name] = { kernel, bias: new Float32Array(spec.outChannels), shape: [3, 3, spec.inChannels, spec.outChannels] };
  }
  return { network, preprocessing: 'torchvision', source: `random(${seed})`, convs };
}
