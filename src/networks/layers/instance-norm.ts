/**
 * @file Instance normalisation (Ulyanov et al. 2016), the "later improvement"
 * SPEC section 4 puts after every style-network conv but the last: affine,
 * per image and per channel, statistics over H and W only.
 *
 * Tiled inference (src/infer) needs the statistics of the WHOLE image in every
 * tile, or neighbouring tiles normalise differently and show seams. So the
 * statistics can be recorded from one pass, supplied to another, or summed
 * over the region a tile owns (see NormStatsContext).
 */
import * as tf from '@tensorflow/tfjs-core';
import { INSTANCE_NORM_KERNEL, type InstanceNormAttrs } from '../../runtime/kernel-names.js';
import { instanceNormKernelUsable } from '../../runtime/kernels/instance-norm.js';
import type { RowBand } from './row-band.js';

/** Per-channel mean and biased variance of one instance-norm layer, batch of one: `C` values each. */
export interface LayerNormStatistics {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

/** Statistics keyed by norm prefix (`c1.norm`, `res0.norm1`, ...). Plain arrays: they cross worker boundaries. */
export type NormStatistics = Readonly<Record<string, LayerNormStatistics>>;

/** Partial sums over part of an image, per channel: sum of (x - shift) and of (x - shift)^2, shift = applied mean. */
export interface LayerNormSums {
  count: number;
  readonly sum: Float64Array;
  readonly sumSquares: Float64Array;
  /** The shift the sums are taken about (the applied mean), for conditioning. */
  readonly shift: Float32Array;
}

/**
 * How a style network's instance norms get their statistics (every mode is for
 * inference: no gradients, the fused kernel where the backend has one):
 * - `own`: from the input itself, as without a context;
 * - `bands`: from the whole image when each worker holds a band of its rows
 *   (src/networks/layers/row-band.ts): sums over every band (batch of one);
 * - `record`: from the input itself (as usual), and copied into `recorded` (batch of one);
 * - `apply`: from `statistics` instead of the input (tiles of one image share them);
 * - `accumulate`: normalise with `statistics`, and add to `sums` the moments of
 *   the pre-norm map over `region` (a rectangle of the network input, with edges
 *   divisible by 4, scaled down to each layer's resolution); summed over tiles
 *   that partition an image this gives that image's statistics exactly for the
 *   first layer, and one layer more exactly per repeated pass.
 */
export type NormStatsContext =
  | { readonly mode: 'own' }
  | { readonly mode: 'bands'; readonly band: RowBand }
  | { readonly mode: 'record'; readonly recorded: Record<string, LayerNormStatistics> }
  | { readonly mode: 'apply'; readonly statistics: NormStatistics }
  | {
      readonly mode: 'accumulate';
      readonly statistics: NormStatistics;
      /** [top, left, bottom, right) in network-input pixels. */
      readonly region: readonly [number, number, number, number];
      /** Input height and width, to find each layer's scale. */
      readonly inputSize: readonly [number, number];
      readonly sums: Record<string, LayerNormSums>;
    };

/**
 * `gamma * (x - mean) / sqrt(var + epsilon) + beta`, with mean and the biased
 * variance taken per image and per channel over H and W (SPEC section 4;
 * FORMAT.md section 3 for the ml5 variant's epsilon 1e-3), unless `moments`
 * supplies them.
 *
 * Computed as `(x - mean) * scale + beta` with per-image, per-channel
 * `scale = gamma / sqrt(var + epsilon)`, the centred map shared with the
 * variance: four full-size passes after the mean (sub, square, mul, add)
 * instead of six. The variance stays two-pass like tf.moments (mean of
 * `(x - mean)^2`), so inputs with a large mean keep their precision (folding
 * the mean into a shift, `x * scale + (beta - mean * scale)`, would cancel
 * large terms). Every op is differentiable, so tf.grad through this function
 * (training) gets the gradients with respect to x (through the statistics
 * too), gamma and beta. Not used: tf.squaredDifference (its tfjs 4.22 gradient
 * does not reduce a broadcast operand) and tf.batchNorm (a scalar loop on
 * WASM, slower than these passes, and its gradient only supports [C]-shaped
 * statistics).
 * @param x float32 NHWC, any range
 * @param gamma scale, shape [C]
 * @param beta shift, shape [C]
 * @param epsilon added to the variance (johnson 1e-5, ml5 1e-3)
 * @param moments optional mean and variance broadcastable to [B, 1, 1, C] to use instead of x's own
 * @returns float32 NHWC, same shape as x; caller disposes.
 */
export function instanceNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  moments?: { readonly mean: tf.Tensor; readonly variance: tf.Tensor },
): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = moments?.mean ?? tf.mean(x, [1, 2], true);
    const centred = tf.sub(x, mean);
    const variance = moments?.variance ?? tf.mean(tf.square(centred), [1, 2], true);
    // [B, 1, 1, C]-sized work; the full-size work is one multiply and one add.
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(centred, scale), beta) as tf.Tensor4D;
  });
}

/**
 * Instance norm (+ ReLU) without gradients: perceptual's fused kernel where
 * the active backend has it (wasm: src/runtime/kernels/instance-norm.ts), else
 * tfjs ops. `statistics` given: used for every image instead of its own.
 * Caller disposes.
 */
function inferenceNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, relu: boolean, statistics?: { mean: tf.Tensor1D; variance: tf.Tensor1D }): tf.Tensor4D {
  if (instanceNormKernelUsable(x.shape[3])) {
    const inputs: tf.NamedTensorMap = { x, gamma, beta, ...(statistics ?? {}) };
    const attrs: InstanceNormAttrs = { epsilon, relu };
    return tf.engine().runKernel(INSTANCE_NORM_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const y = statistics
      ? tf.batchNorm(x, statistics.mean, statistics.variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, epsilon)
      : instanceNorm(x, gamma, beta, epsilon);
    return relu ? tf.relu(y) : y;
  });
}

/**
 * Instance norm of layer `name` under a statistics context (see
 * NormStatsContext), followed by ReLU when `relu`; without a context, plain
 * (differentiable) instanceNorm. Every context is for inference (no gradients)
 * and runs the fused kernel where the backend has one.
 * @param x float32 NHWC; [1, H, W, C] for record/apply/accumulate (statistics are per image)
 * @returns float32 NHWC, same shape as x; caller disposes.
 * @throws RangeError when `apply`/`accumulate` statistics lack layer `name` or have the wrong channel count
 *   (they were recorded from another architecture).
 */
export function contextInstanceNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  name: string,
  context?: NormStatsContext,
  relu = false,
): tf.Tensor4D {
  if (context === undefined) {
    return tf.tidy(() => {
      const y = instanceNorm(x, gamma, beta, epsilon);
      return relu ? tf.relu(y) : y;
    });
  }
  if (context.mode === 'own') return inferenceNorm(x, gamma, beta, epsilon, relu);
  if (context.mode === 'bands') return bandNorm(x, gamma, beta, epsilon, relu, context.band);
  const channels = x.shape[3];
  if (context.mode === 'record') {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      context.recorded[name] = { mean: Float32Array.from(mean.dataSync()), variance: Float32Array.from(variance.dataSync()) };
      return inferenceNorm(x, gamma, beta, epsilon, relu, { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D });
    });
  }
  const given = context.statistics[name];
  if (given === undefined || given.mean.length !== channels || given.variance.length !== channels) {
    throw new RangeError(
      `instanceNorm: no statistics of ${channels} channels for layer '${name}' (have: ${Object.keys(context.statistics).join(', ') || 'none'}). Record them with the same architecture.`,
    );
  }
  return tf.tidy(() => {
    if (context.mode === 'accumulate') accumulateSums(x, name, given.mean, context);
    return inferenceNorm(x, gamma, beta, epsilon, relu, { mean: tf.tensor1d(given.mean), variance: tf.tensor1d(given.variance) });
  });
}

/**
 * Instance norm of one band's rows with the whole image's statistics: the
 * mean from every band's sums, then the variance about it (two passes, as
 * tf.moments), the sums in float64 across bands.
 */
function bandNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, relu: boolean, band: RowBand): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (b !== 1) throw new RangeError(`instanceNorm: row bands hold one image (batch ${b})`);
  return tf.tidy(() => {
    const local = new Float64Array(c + 1);
    local.set(tf.sum(x, [0, 1, 2]).dataSync());
    local[c] = h * w;
    const sums = band.sumAll(local);
    const count = sums[c]!;
    const mean = tf.tensor1d(Float32Array.from(sums.subarray(0, c), (v) => v / count));
    const squares = new Float64Array(tf.sum(tf.square(tf.sub(x, mean)), [0, 1, 2]).dataSync());
    const variance = tf.tensor1d(Float32Array.from(band.sumAll(squares), (v) => v / count));
    return inferenceNorm(x, gamma, beta, epsilon, relu, { mean, variance });
  });
}

/** Adds the moments of x over the context's region (scaled to x's resolution) to context.sums[name]. */
function accumulateSums(x: tf.Tensor4D, name: string, shift: Float32Array, context: Extract<NormStatsContext, { mode: 'accumulate' }>): void {
  const [, h, w, c] = x.shape;
  const [top, left, bottom, right] = context.region;
  const factorH = context.inputSize[0] / h;
  const factorW = context.inputSize[1] / w;
  const y0 = Math.round(top / factorH);
  const x0 = Math.round(left / factorW);
  const rows = Math.round(bottom / factorH) - y0;
  const cols = Math.round(right / factorW) - x0;
  if (rows <= 0 || cols <= 0) return;
  const [sum, sumSquares] = tf.tidy(() => {
    const centred = tf.sub(tf.slice(x, [0, y0, x0, 0], [1, rows, cols, c]), tf.tensor4d(shift, [1, 1, 1, c]));
    return [tf.sum(centred, [0, 1, 2]).dataSync(), tf.sum(tf.square(centred), [0, 1, 2]).dataSync()];
  });
  let entry = context.sums[name];
  if (entry === undefined) {
    entry = { count: 0, sum: new Float64Array(c), sumSquares: new Float64Array(c), shift: Float32Array.from(shift) };
    context.sums[name] = entry;
  }
  entry.count += rows * cols;
  for (let k = 0; k < c; k++) {
    entry.sum[k] += sum[k] as number;
    entry.sumSquares[k] += sumSquares[k] as number;
  }
}
