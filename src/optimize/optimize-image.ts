/**
 * @file Optimisation over the pixels of one image (Gatys et al. 2016; the
 * baseline of Johnson et al. 2016, Table 1): the image is the variable and
 * the joint perceptual loss (SPEC section 3) is minimised with L-BFGS or Adam.
 *
 * Each evaluation uploads the iterate, runs the loss network forward and
 * backward on the active tfjs backend (`tf.valueAndGrad`) and reads the
 * gradient back; the optimiser's state lives on the host (vector-ops.ts).
 *
 * Bounds, i.e. how [0, 1] (SPEC section 1) is kept:
 * - `none`: unconstrained pixels, as Gatys implementations with L-BFGS do;
 *   the result is clamped to [0, 1] at the end (encoders clamp anyway).
 * - `clip`: projection onto [0, 1] after each step (Adam only: a projection
 *   would invalidate L-BFGS's line search and curvature pairs).
 * - `sigmoid`: the image is sigmoid(z) and z is optimised, an unconstrained
 *   parameterisation that keeps every iterate in (0, 1) and works with both
 *   optimisers; z starts at logit(clamp(init, 0.01, 0.99)) so saturated
 *   pixels keep a usable gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { optionRangeError, tensorShapeError } from '../errors.js';
import { perceptualLoss, termsToNumbers, disposeTerms, type PerceptualLossNumbers, type ResolvedPerceptualLossOptions } from '../losses/perceptual.js';
import type { FeatureMaps, ImageBatch, LossNetwork } from '../types.js';
import { minimizeAdam } from './adam.js';
import { minimizeLbfgs, type LbfgsOptions } from './lbfgs.js';
import type { MinimizeResult, Objective, StopReason } from './objective.js';

/** The optimisers `optimizeImage` offers. */
export const IMAGE_OPTIMIZERS = Object.freeze(['lbfgs', 'adam'] as const);
export type ImageOptimizer = (typeof IMAGE_OPTIMIZERS)[number];

/** How pixels are kept in [0, 1] (see the file comment). */
export const IMAGE_BOUNDS = Object.freeze(['none', 'clip', 'sigmoid'] as const);
export type ImageBounds = (typeof IMAGE_BOUNDS)[number];

/** What the loss compares the image with (as `perceptualLoss`'s inputs). */
export interface OptimizeImageTargets {
  /** float32 NHWC `1 x H x W x 3` in [0, 1]: content / HR target (needed for a pixel loss). */
  content?: ImageBatch;
  /** Precomputed content features; not disposed. */
  contentFeatures?: FeatureMaps;
  /** Style Grams from `styleTargets`; not disposed. */
  styleGrams?: Readonly<Record<string, Tensor3D>>;
}

/** Progress after one iteration. */
export interface OptimizeImageProgress {
  readonly iteration: number;
  readonly total: number;
  /** The weighted total loss at the new iterate. */
  readonly loss: number;
  readonly evaluations: number;
}

/** Options of `optimizeImage`; every field optional. */
export interface OptimizeImageOptions {
  /** Default `lbfgs`. */
  optimizer?: ImageOptimizer;
  /** Iterations (L-BFGS: accepted steps, each costing one or more evaluations; Adam: steps). Default 100. */
  iterations?: number;
  /** L-BFGS: initial trial step (default 1); Adam: step size (default 0.02). */
  lr?: number;
  /** Default `none` for L-BFGS, `clip` for Adam. */
  bounds?: ImageBounds;
  /** Further L-BFGS options (memory, lineSearch, tolerances: both default to 0 here, see below). */
  lbfgs?: Omit<LbfgsOptions, 'maxIterations' | 'lr'>;
  /** Call `onSnapshot` every this many iterations (0: never; default 0). */
  snapshotEvery?: number;
  /** Receives the current image (float32 `1 x H x W x 3`, clamped to [0, 1]); it is disposed after the promise settles. */
  onSnapshot?: (iteration: number, image: ImageBatch) => void | Promise<void>;
  onProgress?: (progress: OptimizeImageProgress) => void;
  signal?: AbortSignal;
}

/** What `optimizeImage` returns. */
export interface OptimizeImageResult {
  /** float32 `1 x H x W x 3` clamped to [0, 1]; caller disposes. */
  image: ImageBatch;
  /** Every loss term (`computeUnweighted`) of the returned (clamped) image. */
  terms: PerceptualLossNumbers;
  /** Weighted total after each iteration, index 0 the start (of the optimised, unclamped iterate). */
  history: readonly number[];
  iterations: number;
  evaluations: number;
  reason: StopReason;
}

/**
 * Minimises the perceptual loss over the pixels of `init`.
 * @param init float32 NHWC `1 x H x W x 3` in [0, 1], the start (not disposed).
 * @throws PerceptualError E_TENSOR_SHAPE for a bad `init`; RangeError E_OPTIONS for bad
 *   options (`clip` with L-BFGS); AbortError E_ABORTED; as `perceptualLoss`.
 * @example
 * const r = await optimizeImage(vgg, loss, content, { contentFeatures, styleGrams }, { iterations: 300 });
 * await writeImage('out.png', r.image); r.image.dispose();
 */
export async function optimizeImage(network: LossNetwork, loss: ResolvedPerceptualLossOptions, init: ImageBatch, targets: OptimizeImageTargets, options: OptimizeImageOptions = {}): Promise<OptimizeImageResult> {
  if (init.rank !== 4 || init.shape[0] !== 1 || init.shape[3] !== 3) throw tensorShapeError('init', 'optimizeImage', 'rank 4 NHWC with batch 1 and 3 channels', init.shape);
  const optimizer = options.optimizer ?? 'lbfgs';
  if (!IMAGE_OPTIMIZERS.includes(optimizer)) throw optionRangeError('options.optimizer', `one of ${IMAGE_OPTIMIZERS.join(', ')}`, optimizer);
  const bounds = options.bounds ?? (optimizer === 'lbfgs' ? 'none' : 'clip');
  if (!IMAGE_BOUNDS.includes(bounds)) throw optionRangeError('options.bounds', `one of ${IMAGE_BOUNDS.join(', ')}`, bounds);
  if (bounds === 'clip' && optimizer === 'lbfgs') throw optionRangeError('options.bounds', "'none' or 'sigmoid' with L-BFGS (clipping breaks its line search); use sigmoid, or the adam optimizer", bounds);
  const iterations = options.iterations ?? 100;
  const snapshotEvery = options.snapshotEvery ?? 0;
  if (!Number.isInteger(snapshotEvery) || snapshotEvery < 0) throw optionRangeError('options.snapshotEvery', 'an integer >= 0', snapshotEvery);
  const shape = init.shape as [number, number, number, number];
  const { content, contentFeatures, styleGrams } = targets;
  const toImage = (z: Tensor4D): Tensor4D => (bounds === 'sigmoid' ? tf.sigmoid(z) : z);
  const lossOf = tf.valueAndGrad((z: Tensor4D) => perceptualLoss(network, loss, { generated: toImage(z), content, contentFeatures, styleGrams }).total);
  const objective: Objective = async (x) => {
    const z = tf.tensor4d(Float32Array.from(x), shape);
    const { value, grad } = lossOf(z);
    try {
      const [f, g] = await Promise.all([value.data(), grad.data()]);
      return { f: f[0]!, g: Float64Array.from(g) };
    } finally {
      tf.dispose([z, value, grad]);
    }
  };
  const clampedImage = (x: Float64Array): Tensor4D => tf.tidy(() => tf.clipByValue(toImage(tf.tensor4d(Float32Array.from(x), shape)), 0, 1));

  const start = Float64Array.from(await init.data());
  if (bounds === 'sigmoid') {
    for (let i = 0; i < start.length; i++) {
      const p = Math.min(0.99, Math.max(0.01, start[i]!));
      start[i] = Math.log(p / (1 - p));
    }
  }
  const hooks = {
    signal: options.signal,
    onIteration: async (info: { iteration: number; f: number; x: Float64Array; evaluations: number }) => {
      options.onProgress?.({ iteration: info.iteration, total: iterations, loss: info.f, evaluations: info.evaluations });
      if (snapshotEvery > 0 && options.onSnapshot && info.iteration % snapshotEvery === 0) {
        const image = clampedImage(info.x);
        try {
          await options.onSnapshot(info.iteration, image);
        } finally {
          image.dispose();
        }
      }
    },
  };
  let result: MinimizeResult;
  if (optimizer === 'lbfgs') {
    // Tolerances 0: the losses are normalised per element (SPEC section 3), so per-pixel gradients
    // of 1e-7 and g.d of 1e-9 are ordinary mid-run values, not convergence; run the iterations asked for.
    result = await minimizeLbfgs(objective, start, { gradientTolerance: 0, changeTolerance: 0, ...options.lbfgs, maxIterations: iterations, lr: options.lr ?? 1 }, hooks);
  } else {
    const project = bounds === 'clip' ? (x: Float64Array) => { for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, x[i]!)); } : undefined;
    result = await minimizeAdam(objective, start, { maxIterations: iterations, lr: options.lr ?? 0.02, project }, hooks);
  }
  const image = clampedImage(result.x);
  const terms = perceptualLoss(network, loss, { generated: image, content, contentFeatures, styleGrams, computeUnweighted: true });
  try {
    return { image, terms: termsToNumbers(terms), history: result.history, iterations: result.iterations, evaluations: result.evaluations, reason: result.reason };
  } finally {
    disposeTerms(terms);
  }
}
