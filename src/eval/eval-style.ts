/**
 * @file Style-transfer evaluation: for every content image, the content
 * (feature reconstruction) and style losses of its stylised output under a
 * loss network (SPEC section 3), as `perceptual compare` computes them.
 * Outputs come from a folder (matched by file name) or from a style model
 * run on the content images.
 */
import * as tf from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';
import { readImage } from '../data/image-io.js';
import { disposeTerms, perceptualLoss, type ResolvedPerceptualLossOptions, styleTargets, termsToNumbersAsync } from '../losses/perceptual.js';
import { transform } from '../networks/transform.js';
import type { ImageBatch, LossNetwork, TransformModel } from '../types.js';
import { join } from 'node:path';
import { evaluateEach, type EvalProgressOptions, type EvalResult, meanFields } from './eval-rows.js';
import { listImages, matchByName } from './image-folder.js';

/** Options of `evaluateStyle`. */
export interface EvalStyleOptions extends EvalProgressOptions<StyleEvalRow> {
  /** Folder of content images. */
  contentDir: string;
  /** The style image the outputs should match. */
  styleImage: string;
  /** Folder of stylised outputs, matched to content images by file name. */
  outputsDir?: string;
  /** A style model to produce the outputs instead (exactly one of outputsDir, model). */
  model?: TransformModel;
  network: LossNetwork;
  /** Layers and weights (resolvePerceptualLossOptions). */
  loss: ResolvedPerceptualLossOptions;
}

/** The losses of one output: unweighted per layer, and the layer-weighted sums. */
export interface StyleEvalRow {
  readonly image: string;
  /** Feature loss per content layer. */
  readonly feature: Readonly<Record<string, number>>;
  /** Style loss per style layer. */
  readonly style: Readonly<Record<string, number>>;
  /** sum_j w_j feature_j (layer weights only, not contentWeight). */
  readonly content: number;
  /** sum_j w_j style_j (layer weights only, not styleWeight). */
  readonly styleTotal: number;
  /** Total variation of the output. */
  readonly tv: number;
  /** contentWeight content + styleWeight styleTotal + tvWeight tv (+ pixel, if weighted). */
  readonly total: number;
}

/** Rows and their means. */
export type StyleEvalResult = EvalResult<StyleEvalRow, { readonly content: number; readonly styleTotal: number; readonly tv: number; readonly total: number }>;

/**
 * Measures content and style losses of stylised outputs.
 * @throws PerceptualError E_OPTIONS unless exactly one of outputsDir / model is given,
 *   E_IO / E_DATASET / E_IMAGE_DECODE for files, E_TENSOR_SHAPE when an output's size
 *   differs from its content image's.
 */
export async function evaluateStyle(options: EvalStyleOptions): Promise<StyleEvalResult> {
  if ((options.outputsDir === undefined) === (options.model === undefined)) {
    throw perceptualError('E_OPTIONS', 'eval style needs exactly one source of outputs: pass --outputs DIR or --model FILE.');
  }
  const { network, loss } = options;
  const names = await listImages(options.contentDir, 'content');
  const outputNames = options.outputsDir === undefined ? [] : await listImages(options.outputsDir, 'outputs');
  const style = await readImage(options.styleImage);
  const grams = styleTargets(network, style, loss.styleLayers);
  tf.dispose(style);
  let rows: StyleEvalRow[];
  try {
    rows = await evaluateEach(names, options, async (name): Promise<StyleEvalRow> => {
      const images: ImageBatch[] = [];
      try {
        const content = await readImage(join(options.contentDir, name));
        images.push(content);
        const output = options.model !== undefined
          ? transform(options.model, content, { lean: true })
          : await readImage(join(options.outputsDir!, matchByName(name, outputNames, options.outputsDir!, 'output')));
        images.push(output);
        if (output.shape[1] !== content.shape[1] || output.shape[2] !== content.shape[2]) {
          throw perceptualError('E_TENSOR_SHAPE', `The output for '${name}' is ${output.shape[2]}x${output.shape[1]} but the content image is ${content.shape[2]}x${content.shape[1]}. Outputs must keep their content image's size.`);
        }
        const terms = perceptualLoss(network, loss, { generated: output, content, styleGrams: grams, computeUnweighted: true });
        try {
          const n = await termsToNumbersAsync(terms);
          const weighted = (values: Record<string, number>, weights: Readonly<Record<string, number>>) =>
            Object.entries(values).reduce((sum, [layer, v]) => sum + (weights[layer] ?? 1) * v, 0);
          return {
            image: name,
            feature: n.feature,
            style: n.style,
            content: weighted(n.feature, loss.contentLayerWeights),
            styleTotal: weighted(n.style, loss.styleLayerWeights),
            tv: n.tv ?? 0,
            total: n.total,
          };
        } finally {
          disposeTerms(terms);
        }
      } finally {
        tf.dispose(images);
      }
    });
  } finally {
    tf.dispose(Object.values(grams));
  }
  return { rows, mean: meanFields(rows, ['content', 'styleTotal', 'tv', 'total']) };
}
