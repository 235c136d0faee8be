/**
 * @file The VGG-16 / VGG-19 layer tables (SPEC section 2): layer names in
 * order, which of them are convolutions, each convolution's channel counts,
 * and the torchvision `features` index and Keras group name of each layer.
 * Pure data, no tensors, so importers and networks share one source of truth.
 */

/** The two VGG depths we support. */
export const VGG_NETWORKS = Object.freeze(['vgg16', 'vgg19'] as const);
export type VggNetwork = (typeof VGG_NETWORKS)[number];

/** Convolutions per block (Simonyan and Zisserman, configurations D and E). */
const BLOCK_CONVS: Readonly<Record<VggNetwork, readonly number[]>> = Object.freeze({
  vgg16: [2, 2, 3, 3, 3],
  vgg19: [2, 2, 4, 4, 4],
});
/** Output channels of every convolution in block b (1-based). */
const BLOCK_CHANNELS = [64, 128, 256, 512, 512] as const;

function buildLayers(network: VggNetwork): readonly string[] {
  const layers: string[] = [];
  BLOCK_CONVS[network].forEach((count, block) => {
    for (let m = 1; m <= count; m++) layers.push(`conv${block + 1}_${m}`, `relu${block + 1}_${m}`);
    layers.push(`pool${block + 1}`);
  });
  return Object.freeze(layers);
}

/**
 * Every layer name in forward order. A layer's position is its torchvision
 * `features` index (SPEC section 2: conv1_1[0] relu1_1[1] ... pool5[30] for VGG-16).
 */
export const VGG_LAYERS: Readonly<Record<VggNetwork, readonly string[]>> = Object.freeze({
  vgg16: buildLayers('vgg16'),
  vgg19: buildLayers('vgg19'),
});

/** One convolution: its name, torchvision index, Keras group and channel counts. */
export interface VggConvSpec {
  /** e.g. `conv3_2`. */
  readonly name: string;
  /** torchvision `features.N` index. */
  readonly index: number;
  /** Keras group, e.g. `block3_conv2`. */
  readonly kerasName: string;
  readonly inChannels: number;
  readonly outChannels: number;
}

function buildConvs(network: VggNetwork): readonly VggConvSpec[] {
  const convs: VggConvSpec[] = [];
  let inChannels = 3;
  VGG_LAYERS[network].forEach((layer, index) => {
    const match = /^conv(\d)_(\d)$/.exec(layer);
    if (!match) return;
    const block = Number(match[1]);
    const outChannels = BLOCK_CHANNELS[block - 1]!;
    convs.push(Object.freeze({ name: layer, index, kerasName: `block${block}_conv${match[2]}`, inChannels, outChannels }));
    inChannels = outChannels;
  });
  return Object.freeze(convs);
}

/** The convolutions of each network, in forward order. */
export const VGG_CONVS: Readonly<Record<VggNetwork, readonly VggConvSpec[]>> = Object.freeze({
  vgg16: buildConvs('vgg16'),
  vgg19: buildConvs('vgg19'),
});

/** Narrows a string to a VGG network name. */
export function isVggNetwork(value: unknown): value is VggNetwork {
  return value === 'vgg16' || value === 'vgg19';
}

/**
 * The convolution a layer depends on last: `relu2_1` -> `conv2_1`,
 * `pool2` -> `conv2_2` (VGG-16). Every conv before it in VGG_CONVS is needed too.
 * Returns undefined for a name not in the network.
 */
export function lastConvFor(network: VggNetwork, layer: string): VggConvSpec | undefined {
  const position = VGG_LAYERS[network].indexOf(layer);
  if (position < 0) return undefined;
  let last: VggConvSpec | undefined;
  for (const conv of VGG_CONVS[network]) if (conv.index <= position) last = conv;
  return last;
}

/**
 * The smallest image side (pixels) for which `layer` is not empty: each 2x2
 * max pool up to and including it halves the size, flooring odd sizes
 * ('valid', as torchvision and Keras), so k pools need 2^k pixels.
 * Smaller images give empty maps, NaN losses on CPU and out-of-bounds memory
 * access in the WASM kernels. Returns undefined for a name not in the network.
 * @example vggMinimumSize('vgg16', 'relu4_3') // 8
 */
export function vggMinimumSize(network: VggNetwork, layer: string): number | undefined {
  const position = VGG_LAYERS[network].indexOf(layer);
  if (position < 0) return undefined;
  const pools = VGG_LAYERS[network].slice(0, position + 1).filter((name) => name.startsWith('pool')).length;
  return 2 ** pools;
}
