/**
 * @file Options of the joint perceptual loss: the user-facing
 * `PerceptualLossOptions`, the resolved form, the defaults, and the one
 * function that validates and merges them (STYLE "Conventions").
 */
import { optionRangeError, optionTypeError } from '../errors.js';

/** User-facing options of the perceptual loss; every field is optional. */
export interface PerceptualLossOptions {
  /** Taps for the feature reconstruction loss (default `['relu2_2']`, the paper's). */
  contentLayers?: string[];
  /** Weight of the feature loss (default 1). */
  contentWeight?: number;
  /** Per-layer weights within the feature loss; layers left out weigh 1. Keys must be content layers. */
  contentLayerWeights?: Record<string, number>;
  /** Taps for the style loss (default the paper's relu1_2, relu2_2, relu3_3, relu4_3). */
  styleLayers?: string[];
  /** Weight of the style loss (default 3). */
  styleWeight?: number;
  /** Per-layer weights within the style loss; layers left out weigh 1. Keys must be style layers. */
  styleLayerWeights?: Record<string, number>;
  /**
   * `target` weighs each style layer's loss by 1 / ||G_j(style image)||_F^2
   * (its error relative to the target Gram), so that layers whose Grams are
   * orders of magnitude apart start on one scale and one set of layer weights
   * serves every style image; `none` (default) is the paper's plain sum.
   */
  styleNormalization?: StyleNormalization;
  /** Weight of the pixel loss (default 0). */
  pixelWeight?: number;
  /** Weight of the total variation loss (default 1e-2). */
  tvWeight?: number;
  /** Exponent of the total variation loss, 1 or 2 (default 2). */
  tvPower?: 1 | 2;
}

/** How the style layers' losses are scaled before their weights apply (see PerceptualLossOptions). */
export const STYLE_NORMALIZATIONS = Object.freeze(['none', 'target'] as const);
export type StyleNormalization = (typeof STYLE_NORMALIZATIONS)[number];

/** `PerceptualLossOptions` with every field set and validated; layer weights hold one entry per layer. */
export interface ResolvedPerceptualLossOptions {
  readonly contentLayers: readonly string[];
  readonly contentWeight: number;
  readonly contentLayerWeights: Readonly<Record<string, number>>;
  readonly styleLayers: readonly string[];
  readonly styleWeight: number;
  readonly styleLayerWeights: Readonly<Record<string, number>>;
  readonly styleNormalization: StyleNormalization;
  readonly pixelWeight: number;
  readonly tvWeight: number;
  readonly tvPower: 1 | 2;
}

/**
 * Defaults. Layers are the paper's (SPEC section 3): feature loss at relu2_2,
 * style loss at relu1_2, relu2_2, relu3_3, relu4_3 of VGG-16.
 *
 * Weights, under exactly SPEC's normalisations and a torchvision-preprocessed
 * VGG-16: the PyTorch fast_neural_style example (same layers, same Gram
 * normalisation `F^T F / (C H W)`, but the MEAN over the C x C entries) trains
 * with style/content = 1e10/1e5 = 1e5. The SPEC's SUM is C_j^2 times that
 * mean, so the equivalent per-layer style weights are 1e5 / C_j^2, i.e. 24, 6.1,
 * 1.5, 0.38 for C_j = 64, 128, 256, 512; their geometric mean,
 * 1e5 / sqrt(64 * 128 * 256 * 512) = 3.05, gives `styleWeight: 3` with equal
 * layer weights (the paper weighs layers equally). `tvWeight: 1e-2` only
 * damps high-frequency noise: for [0, 1] images the SPEC's TV of a natural
 * image is about 1e-2, against feature losses of order 1. These are starting
 * points for `perceptual compare` and generic use; training presets tune
 * their own. Weights depend on the loss network's preprocessing (a Caffe VGG
 * has activations ~50x larger): retune them for another network.
 */
export const DEFAULT_PERCEPTUAL_LOSS_OPTIONS: ResolvedPerceptualLossOptions = Object.freeze({
  contentLayers: Object.freeze(['relu2_2']),
  contentWeight: 1,
  contentLayerWeights: Object.freeze({ relu2_2: 1 }),
  styleLayers: Object.freeze(['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3']),
  styleWeight: 3,
  styleLayerWeights: Object.freeze({ relu1_2: 1, relu2_2: 1, relu3_3: 1, relu4_3: 1 }),
  styleNormalization: 'none',
  pixelWeight: 0,
  tvWeight: 1e-2,
  tvPower: 2,
});

const KNOWN_KEYS: readonly (keyof PerceptualLossOptions)[] = [
  'contentLayers', 'contentWeight', 'contentLayerWeights', 'styleLayers', 'styleWeight',
  'styleLayerWeights', 'styleNormalization', 'pixelWeight', 'tvWeight', 'tvPower',
];

/**
 * Validates `options` once, at the public boundary, and merges the defaults.
 * Passing a resolved object back in returns an equal one.
 *
 * @param availableTaps the loss network's taps; when given, every layer must be one of them.
 * @returns frozen resolved options.
 * @throws TypeError E_OPTIONS for a wrong type (`options.styleWeight must be a number (received "3")`);
 *   RangeError E_OPTIONS for an unknown key, an unknown or repeated layer
 *   (`options.styleLayers[2] must be one of relu1_1, ... (received "relu9_9")`),
 *   a negative or non-finite weight, a layer weight for an unlisted layer, or a tvPower other than 1, 2.
 * @example
 * const opts = resolvePerceptualLossOptions({ styleLayers: ['relu2_2'], styleWeight: 10 }, vgg.taps);
 */
export function resolvePerceptualLossOptions(options: PerceptualLossOptions = {}, availableTaps?: readonly string[]): ResolvedPerceptualLossOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw optionTypeError('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      throw optionRangeError('options', `an object whose keys are among ${KNOWN_KEYS.join(', ')}`, key);
    }
  }
  const defaults = DEFAULT_PERCEPTUAL_LOSS_OPTIONS;
  const contentLayers = layerList('options.contentLayers', options.contentLayers ?? defaults.contentLayers, availableTaps);
  const styleLayers = layerList('options.styleLayers', options.styleLayers ?? defaults.styleLayers, availableTaps);
  const tvPower = options.tvPower ?? defaults.tvPower;
  if (tvPower !== 1 && tvPower !== 2) throw optionRangeError('options.tvPower', 'one of 1, 2', tvPower);
  const styleNormalization = options.styleNormalization ?? defaults.styleNormalization;
  if (!STYLE_NORMALIZATIONS.includes(styleNormalization)) throw optionRangeError('options.styleNormalization', `one of ${STYLE_NORMALIZATIONS.join(', ')}`, styleNormalization);
  return Object.freeze({
    contentLayers,
    contentWeight: weight('options.contentWeight', options.contentWeight ?? defaults.contentWeight),
    contentLayerWeights: layerWeights('options.contentLayerWeights', 'options.contentLayers', options.contentLayerWeights, contentLayers),
    styleLayers,
    styleWeight: weight('options.styleWeight', options.styleWeight ?? defaults.styleWeight),
    styleLayerWeights: layerWeights('options.styleLayerWeights', 'options.styleLayers', options.styleLayerWeights, styleLayers),
    styleNormalization,
    pixelWeight: weight('options.pixelWeight', options.pixelWeight ?? defaults.pixelWeight),
    tvWeight: weight('options.tvWeight', options.tvWeight ?? defaults.tvWeight),
    tvPower,
  });
}

function weight(path: string, value: unknown): number {
  if (typeof value !== 'number') throw optionTypeError(path, 'a number', value);
  if (!Number.isFinite(value) || value < 0) throw optionRangeError(path, 'a finite number >= 0', value);
  return value;
}

function layerList(path: string, value: unknown, availableTaps: readonly string[] | undefined): readonly string[] {
  if (!Array.isArray(value)) throw optionTypeError(path, 'an array of tap names', value);
  const layers: string[] = [];
  for (const [index, layer] of (value as unknown[]).entries()) {
    if (typeof layer !== 'string' || layer === '') throw optionTypeError(`${path}[${index}]`, 'a non-empty tap name', layer);
    if (availableTaps !== undefined && !availableTaps.includes(layer)) {
      throw optionRangeError(`${path}[${index}]`, oneOfTaps(availableTaps), layer);
    }
    if (layers.includes(layer)) throw optionRangeError(`${path}[${index}]`, 'a layer not listed before it', layer);
    layers.push(layer);
  }
  return Object.freeze(layers);
}

function layerWeights(path: string, layersPath: string, value: unknown, layers: readonly string[]): Readonly<Record<string, number>> {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw optionTypeError(path, 'an object mapping layer names to numbers', value);
  }
  const given = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!layers.includes(key)) throw optionRangeError(path, `keyed by layers of ${layersPath} (${layers.join(', ')})`, key);
  }
  const resolved: Record<string, number> = {};
  for (const layer of layers) resolved[layer] = given[layer] === undefined ? 1 : weight(`${path}.${layer}`, given[layer]);
  return Object.freeze(resolved);
}

/**
 * The "must be ..." text for a layer that is not a tap of the loss network:
 * its taps, or, for a network that exposes none (`taps: []`, the pixel-only
 * stand-in), a sentence saying so instead of an empty "one of".
 */
export function oneOfTaps(taps: readonly string[], networkName?: string): string {
  const of = networkName === undefined ? '' : ` (the taps of ${networkName})`;
  if (taps.length > 0) return `one of ${taps.join(', ')}${of}`;
  return `a tap of the loss network, but ${networkName ?? 'it'} exposes none; load it without a tap list (or with these layers in --loss-taps)`;
}
