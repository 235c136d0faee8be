/**
 * @file The joint perceptual loss (SPEC section 3): weighted feature, style,
 * pixel and total-variation terms computed from one run of a loss network.
 * Training and `perceptual compare` both build it from the same options.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor3D } from '@tensorflow/tfjs-core';
import { optionRangeError, optionTypeError, tensorShapeError } from '../errors.js';
import type { FeatureMaps, ImageBatch, LossNetwork } from '../types.js';
import { featureLoss } from './feature.js';
import { gramMatrix } from './gram.js';
import { oneOfTaps, type ResolvedPerceptualLossOptions } from './perceptual-options.js';
import { pixelLoss } from './pixel.js';
import { assertBatchBroadcastable, assertRank } from './shapes.js';
import { styleLoss } from './style.js';
import { totalVariationLoss } from './total-variation.js';

export * from './perceptual-options.js';

/** What `perceptualLoss` compares. */
export interface PerceptualLossInputs {
  /** float32 NHWC `B x H x W x 3` in [0, 1]: the images being optimised. */
  generated: ImageBatch;
  /** float32 NHWC `B x H x W x 3` (or batch 1, broadcast) in [0, 1]: the content / high-resolution targets. */
  content?: ImageBatch;
  /**
   * Precomputed content features (tap -> `B x H_j x W_j x C_j`), instead of running
   * the network on `content`. Computing them before `tf.variableGrads` keeps
   * their activations off the gradient tape. Not disposed by `perceptualLoss`.
   */
  contentFeatures?: FeatureMaps;
  /** Style targets from `styleTargets`: tap -> `1 x C_j x C_j` (broadcast over the batch). */
  styleGrams?: Readonly<Record<string, Tensor3D>>;
  /**
   * Also compute the terms whose weight is 0, where their inputs are given
   * (`perceptual compare` reports every term). Default false: training pays
   * only for the terms that count.
   */
  computeUnweighted?: boolean;
}

/**
 * The loss terms, each UNWEIGHTED and averaged over the batch, plus their weighted
 * sum `total = contentWeight * sum_j w_j feature[j] + styleWeight * sum_j w_j style[j]
 * + pixelWeight * pixel + tvWeight * tv` (terms with weight 0 add nothing).
 * A term that was not computed is absent (feature, style) or null (pixel, tv).
 * Every scalar is a distinct tensor: dispose them all with `disposeTerms`.
 */
export interface PerceptualLossTerms {
  total: Scalar;
  feature: Record<string, Scalar>;
  style: Record<string, Scalar>;
  pixel: Scalar | null;
  tv: Scalar | null;
}

/** `PerceptualLossTerms` read back as numbers, for logs and JSON. */
export interface PerceptualLossNumbers {
  total: number;
  feature: Record<string, number>;
  style: Record<string, number>;
  pixel: number | null;
  tv: number | null;
}

/**
 * Style targets: the Gram matrix (SPEC section 3) of one style image at each layer.
 * @param styleImage float32 NHWC `1 x H x W x 3` in [0, 1].
 * @returns tap -> float32 `1 x C_j x C_j`; caller disposes (e.g. `tf.dispose(Object.values(grams))`).
 * @throws PerceptualError E_TENSOR_SHAPE when `styleImage` is not one rank-4 image;
 *   RangeError E_OPTIONS for a layer the network does not have.
 * @example
 * const grams = styleTargets(vgg, starryNight, resolved.styleLayers);
 */
export function styleTargets(network: LossNetwork, styleImage: ImageBatch, layers: readonly string[]): Record<string, Tensor3D> {
  assertRank(styleImage, 4, 'styleImage', 'styleTargets', 'rank 4 NHWC with batch 1');
  if (styleImage.shape[0] !== 1) throw tensorShapeError('styleImage', 'styleTargets', 'rank 4 NHWC with batch 1 (one style image)', styleImage.shape);
  assertTaps(network, layers, 'layers');
  if (layers.length === 0) return {};
  return tf.tidy(() => {
    const maps = network.features(styleImage, layers);
    const grams: Record<string, Tensor3D> = {};
    for (const layer of layers) grams[layer] = gramMatrix(mapOf(maps, layer, network));
    return grams;
  });
}

/**
 * The joint perceptual loss. Runs `network` once on `generated` for the union
 * of the needed taps, and once on `content` (unless `contentFeatures` is given).
 * Reads nothing back, so it works inside `tf.variableGrads` / `optimizer.minimize`
 * (there, only the returned `total` survives the tape's tidy; `tf.keep` the
 * components inside the loss function to log them).
 *
 * A term whose weight is positive is required: missing inputs throw. A term
 * with weight 0 is computed only with `computeUnweighted` and its inputs given.
 *
 * @param options resolved options (`resolvePerceptualLossOptions`).
 * @returns every term, unweighted, and the weighted total; caller disposes (`disposeTerms`).
 * @throws TypeError E_OPTIONS when a weighted term lacks its input; RangeError E_OPTIONS for a
 *   layer the network lacks or a missing style Gram; PerceptualError E_TENSOR_SHAPE for bad shapes.
 * @example
 * const opts = resolvePerceptualLossOptions({ styleWeight: 3 }, vgg.taps);
 * const grams = styleTargets(vgg, style, opts.styleLayers);
 * const terms = perceptualLoss(vgg, opts, { generated, content, styleGrams: grams });
 * console.log(termsToNumbers(terms)); disposeTerms(terms);
 */
export function perceptualLoss(network: LossNetwork, options: ResolvedPerceptualLossOptions, inputs: PerceptualLossInputs): PerceptualLossTerms {
  const { generated, content, contentFeatures, styleGrams } = inputs;
  const all = inputs.computeUnweighted === true;
  assertRank(generated, 4, 'generated', 'perceptualLoss', 'rank 4 NHWC');
  if (content !== undefined) {
    assertRank(content, 4, 'content', 'perceptualLoss', 'rank 4 NHWC');
    assertBatchBroadcastable(generated, content, 'generated', 'content', 'perceptualLoss');
  }
  assertTaps(network, options.contentLayers, 'options.contentLayers');
  assertTaps(network, options.styleLayers, 'options.styleLayers');

  const hasContent = content !== undefined || contentFeatures !== undefined;
  const featureWeighted = options.contentWeight > 0 && options.contentLayers.length > 0;
  if (featureWeighted && !hasContent) {
    throw optionTypeError('inputs.content', `an ImageBatch (or inputs.contentFeatures) because options.contentWeight is ${options.contentWeight}; pass it or set contentWeight to 0`, content);
  }
  const styleWeighted = options.styleWeight > 0 && options.styleLayers.length > 0;
  if (styleWeighted && styleGrams === undefined) {
    throw optionTypeError('inputs.styleGrams', `the record from styleTargets because options.styleWeight is ${options.styleWeight}; pass it or set styleWeight to 0`, styleGrams);
  }
  if (options.pixelWeight > 0 && content === undefined) {
    throw optionTypeError('inputs.content', `an ImageBatch because options.pixelWeight is ${options.pixelWeight}; pass it or set pixelWeight to 0`, content);
  }
  const featureLayers = featureWeighted || (all && hasContent) ? options.contentLayers : [];
  const styleLayers = styleWeighted || (all && styleGrams !== undefined) ? options.styleLayers : [];
  for (const [index, layer] of styleLayers.entries()) {
    if (styleGrams?.[layer] === undefined) {
      throw optionRangeError(`options.styleLayers[${index}]`, `a key of inputs.styleGrams (${Object.keys(styleGrams ?? {}).join(', ')}); compute the Grams with styleTargets for these layers`, layer);
    }
  }
  if (contentFeatures !== undefined) {
    for (const layer of featureLayers) {
      if (contentFeatures[layer] === undefined) {
        throw optionRangeError('inputs.contentFeatures', `a record with every content layer (${featureLayers.join(', ')})`, Object.keys(contentFeatures));
      }
    }
  }
  const wantPixel = options.pixelWeight > 0 || (all && content !== undefined);
  const wantTv = options.tvWeight > 0 || all;
  // One pass over the network, in its own tap order, for every tap any term needs.
  const taps = network.taps.filter((tap) => featureLayers.includes(tap) || styleLayers.includes(tap));

  const result = tf.tidy(() => {
    const maps = taps.length > 0 ? network.features(generated, taps) : {};
    const targets = featureLayers.length === 0 ? {} : contentFeatures ?? network.features(content!, featureLayers);
    const feature: Record<string, Scalar> = {};
    const style: Record<string, Scalar> = {};
    const extra: { pixel?: Scalar; tv?: Scalar } = {};
    const weighted: Scalar[] = [];
    for (const layer of featureLayers) {
      feature[layer] = featureLoss(mapOf(maps, layer, network), mapOf(targets, layer, network));
      if (options.contentWeight > 0) weighted.push(tf.mul(feature[layer]!, options.contentWeight * options.contentLayerWeights[layer]!));
    }
    for (const layer of styleLayers) {
      style[layer] = styleLoss(mapOf(maps, layer, network), styleGrams![layer]!);
      if (options.styleWeight > 0) {
        const target = styleGrams![layer]!;
        const term = options.styleNormalization === 'target' ? tf.div(style[layer]!, tf.sum(tf.square(target))) : style[layer]!;
        weighted.push(tf.mul(term, options.styleWeight * options.styleLayerWeights[layer]!));
      }
    }
    if (wantPixel) {
      extra.pixel = pixelLoss(generated, content!);
      if (options.pixelWeight > 0) weighted.push(tf.mul(extra.pixel, options.pixelWeight));
    }
    if (wantTv) {
      extra.tv = totalVariationLoss(generated, { power: options.tvPower });
      if (options.tvWeight > 0) weighted.push(tf.mul(extra.tv, options.tvWeight));
    }
    // addN of one tensor may return it as is; adding 0 keeps `total` a distinct tensor.
    const total: Scalar = weighted.length === 0 ? tf.scalar(0) : tf.add(tf.addN(weighted), 0);
    return { total, feature, style, extra };
  });
  return { total: result.total, feature: result.feature, style: result.style, pixel: result.extra.pixel ?? null, tv: result.extra.tv ?? null };
}

/** Disposes every scalar of `terms` (safe to call twice). */
export function disposeTerms(terms: PerceptualLossTerms): void {
  tf.dispose([terms.total, ...Object.values(terms.feature), ...Object.values(terms.style)]);
  if (terms.pixel !== null) tf.dispose(terms.pixel);
  if (terms.tv !== null) tf.dispose(terms.tv);
}

/**
 * Reads `terms` back synchronously (blocks on GPU backends; see `termsToNumbersAsync`).
 * Does not dispose them. Never call inside `tf.variableGrads`.
 */
export function termsToNumbers(terms: PerceptualLossTerms): PerceptualLossNumbers {
  const read = (s: Scalar): number => s.dataSync()[0]!;
  return mapTerms(terms, read);
}

/** As `termsToNumbers`, reading with `data()` so GPU backends do not block. */
export async function termsToNumbersAsync(terms: PerceptualLossTerms): Promise<PerceptualLossNumbers> {
  const scalars = [terms.total, ...Object.values(terms.feature), ...Object.values(terms.style), terms.pixel, terms.tv];
  const values = new Map<Scalar, number>();
  await Promise.all(scalars.map(async (s) => {
    if (s !== null) values.set(s, (await s.data())[0]!);
  }));
  return mapTerms(terms, (s) => values.get(s)!);
}

function mapTerms(terms: PerceptualLossTerms, read: (s: Scalar) => number): PerceptualLossNumbers {
  const record = (r: Record<string, Scalar>): Record<string, number> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, read(v)]));
  return {
    total: read(terms.total),
    feature: record(terms.feature),
    style: record(terms.style),
    pixel: terms.pixel === null ? null : read(terms.pixel),
    tv: terms.tv === null ? null : read(terms.tv),
  };
}

function assertTaps(network: LossNetwork, layers: readonly string[], path: string): void {
  for (const [index, layer] of layers.entries()) {
    if (!network.taps.includes(layer)) {
      throw optionRangeError(`${path}[${index}]`, oneOfTaps(network.taps, network.name), layer);
    }
  }
}

function mapOf(maps: FeatureMaps, layer: string, network: LossNetwork): FeatureMaps[string] {
  const map = maps[layer];
  if (map === undefined) throw optionRangeError('features', `a record with the tap ${layer} (loss network ${network.name} did not return it)`, Object.keys(maps));
  return map;
}
