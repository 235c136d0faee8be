/**
 * @file One optimisation step: run the transform network on a batch, the
 * perceptual loss (SPEC section 3) on its output, and Adam on the transform
 * parameters. The loss terms are read back BEFORE the update is applied, so
 * a NaN or Inf loss leaves the parameters of the last good step untouched.
 * The gradients are computed apart from the update (computeGradients), so
 * data-parallel workers (data-parallel.node.ts) can compute them on parts of
 * a batch while the main thread applies the one update.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Variable } from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';
import {
  perceptualLoss,
  type PerceptualLossNumbers,
  type PerceptualLossTerms,
  type ResolvedPerceptualLossOptions,
} from '../losses/perceptual.js';
import type { ImageBatch, LossNetwork, TransformArch } from '../types.js';
import { transform } from '../networks/transform.js';

/** What a step needs that does not change between steps. */
export interface TrainStepContext {
  readonly arch: TransformArch;
  /** Trainable parameters, keyed by paramSpecs name, in paramSpecs order. */
  readonly variables: Readonly<Record<string, Variable>>;
  readonly network: LossNetwork;
  readonly loss: ResolvedPerceptualLossOptions;
  /** Style targets (style task), `1 x C_j x C_j` per style layer. */
  readonly styleGrams?: Readonly<Record<string, Tensor3D>>;
  readonly optimizer: tf.Optimizer;
}

/** What computing the gradients needs: the step context without the optimizer. */
export type GradientContext = Omit<TrainStepContext, 'optimizer'>;

/** A batch's loss terms read back as numbers, and the gradient of its total with respect to each parameter. */
export interface StepGradients {
  readonly numbers: PerceptualLossNumbers;
  /**
   * Keyed by the variables' tf names (`variable.name`), in the order of
   * `context.variables`; a parameter the loss does not depend on is absent
   * (as tf.variableGrads leaves it). Caller disposes.
   */
  readonly grads: tf.NamedTensorMap;
}

/**
 * Runs the transform network and the perceptual loss on a batch and returns
 * the loss terms and the parameter gradients, changing nothing.
 * @param input float32 NHWC in [0, 1]: the content batch (style) or the LR batch (SR)
 * @param target float32 NHWC in [0, 1]: the content batch (style) or the HR batch (SR)
 */
export async function computeGradients(context: GradientContext, input: ImageBatch, target: ImageBatch): Promise<StepGradients> {
  const { arch, variables, network, loss, styleGrams } = context;
  const model = { arch, params: variables, provenance: {} };
  // Target features are constants: computing them outside the tape keeps their activations off it.
  const contentFeatures = loss.contentLayers.length > 0 && loss.contentWeight > 0 ? tf.tidy(() => network.features(target, loss.contentLayers)) : undefined;
  let terms: PerceptualLossTerms | undefined;
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  let returned = false;
  try {
    result = tf.variableGrads(() => {
      const generated = transform(model, input);
      const t = perceptualLoss(network, loss, { generated, content: target, contentFeatures, styleGrams });
      // Keep the components for the log; `total` is returned (variableGrads keeps it).
      terms = { ...t, feature: keepAll(t.feature), style: keepAll(t.style), pixel: t.pixel && tf.keep(t.pixel), tv: t.tv && tf.keep(t.tv) };
      return t.total;
    }, Object.values(variables));
    const numbers = await readTerms({ ...terms!, total: result.value });
    returned = true;
    return { numbers, grads: result.grads };
  } finally {
    if (contentFeatures) tf.dispose(Object.values(contentFeatures));
    if (terms) tf.dispose([...Object.values(terms.feature), ...Object.values(terms.style), ...(terms.pixel ? [terms.pixel] : []), ...(terms.tv ? [terms.tv] : [])]);
    result?.value.dispose();
    if (result && !returned) tf.dispose(Object.values(result.grads));
  }
}

/**
 * Computes the loss and, when every term is finite, applies one Adam update.
 * @param input float32 NHWC in [0, 1]: the content batch (style) or the LR batch (SR)
 * @param target float32 NHWC in [0, 1]: the content batch (style) or the HR batch (SR)
 * @returns the loss terms as numbers (unweighted components, weighted total)
 * @throws PerceptualError E_NON_FINITE_LOSS naming the first term that is NaN or Inf;
 *   the parameters and the optimizer state are then unchanged.
 */
export async function trainStep(context: TrainStepContext, input: ImageBatch, target: ImageBatch, step: number): Promise<PerceptualLossNumbers> {
  const { numbers, grads } = await computeGradients(context, input, target);
  try {
    checkFiniteLoss(numbers, step);
    context.optimizer.applyGradients(grads);
    return numbers;
  } finally {
    tf.dispose(Object.values(grads));
  }
}

/**
 * Refuses a step whose loss is not finite, before its update is applied.
 * @param step the 0-based step (the message counts from 1)
 * @throws PerceptualError E_NON_FINITE_LOSS naming the first term that is NaN or Inf
 */
export function checkFiniteLoss(numbers: PerceptualLossNumbers, step: number): void {
  const bad = firstNonFinite(numbers);
  if (bad === null) return;
  throw perceptualError(
    'E_NON_FINITE_LOSS',
    `The ${bad.term} loss became ${bad.value} at step ${step + 1}; stopping with the last good checkpoint kept. ` +
      'Lower --lr or the weight of that term, or check the data and the loss network weights.',
  );
}

function keepAll<T extends tf.Tensor>(record: Record<string, T>): Record<string, T> {
  for (const value of Object.values(record)) tf.keep(value);
  return record;
}

async function readTerms(terms: PerceptualLossTerms): Promise<PerceptualLossNumbers> {
  const read = async (s: tf.Scalar): Promise<number> => (await s.data())[0]!;
  const record = async (r: Record<string, tf.Scalar>): Promise<Record<string, number>> =>
    Object.fromEntries(await Promise.all(Object.entries(r).map(async ([k, v]) => [k, await read(v)] as const)));
  return {
    total: await read(terms.total),
    feature: await record(terms.feature),
    style: await record(terms.style),
    pixel: terms.pixel === null ? null : await read(terms.pixel),
    tv: terms.tv === null ? null : await read(terms.tv),
  };
}

/**
 * The first non-finite term, named `feature relu2_2`, `style relu1_2`, `pixel`,
 * `total variation` or `total` (only when every component is finite).
 */
export function firstNonFinite(numbers: PerceptualLossNumbers): { term: string; value: number } | null {
  const entries: [string, number | null][] = [
    ...Object.entries(numbers.feature).map(([k, v]) => [`feature (content) ${k}`, v] as [string, number]),
    ...Object.entries(numbers.style).map(([k, v]) => [`style ${k}`, v] as [string, number]),
    ['pixel', numbers.pixel],
    ['total variation', numbers.tv],
    ['total', numbers.total],
  ];
  for (const [term, value] of entries) {
    if (value !== null && !Number.isFinite(value)) return { term, value };
  }
  return null;
}
