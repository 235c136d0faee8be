/**
 * @file The executions (src/networks/execution.ts) of tiled style inference:
 * a region's instance norms record the statistics of their input, apply
 * statistics given for the whole image, or apply them and add up the
 * pre-norm moments over the pixels the tile owns (norm-statistics.ts says
 * how run-tiled.ts combines these). Each pads the region as a whole image:
 * the tile plan gives every tile enough context that its border does not
 * reach the pixels it keeps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { leanExecution, wholeImagePadding, type NetworkExecution } from '../networks/execution.js';
import { inferenceNorm, type NormLayer } from '../networks/layers/instance-norm.js';
import type { LayerNormStatistics, LayerNormSums, NormStatistics } from './norm-statistics.js';

/** What a region's instance norms do (style only; SR has none). Plain data: it crosses worker boundaries. */
export type StatsRequest =
  | { readonly mode: 'record' }
  | { readonly mode: 'apply'; readonly statistics: NormStatistics }
  | {
      readonly mode: 'accumulate';
      readonly statistics: NormStatistics;
      /** [top, left, bottom, right) in region-input pixels, edges divisible by 4: the pixels this tile owns. */
      readonly region: readonly [number, number, number, number];
    };

/** The execution of one region and what its norms collect as it runs. */
export interface TileExecution {
  readonly execution: NetworkExecution;
  /** `record`: each layer's statistics, filled in forward order. */
  readonly recorded?: Record<string, LayerNormStatistics>;
  /** `accumulate`: each layer's moments over the owned pixels. */
  readonly sums?: Record<string, LayerNormSums>;
}

/**
 * The execution a request asks for; none: lean inference, each norm from its own input.
 * @param inputSize the region input's height and width (to scale `region` to each layer's resolution)
 */
export function tileExecution(stats: StatsRequest | undefined, inputSize: readonly [number, number]): TileExecution {
  if (stats === undefined) return { execution: leanExecution };
  if (stats.mode === 'record') {
    const recorded: Record<string, LayerNormStatistics> = {};
    return { execution: recordingExecution(recorded), recorded };
  }
  if (stats.mode === 'apply') return { execution: applyingExecution(stats.statistics) };
  const sums: Record<string, LayerNormSums> = {};
  const { region, statistics } = stats;
  return { execution: applyingExecution(statistics, (x, name, mean) => accumulateSums(x, mean, region, inputSize, sums, name)), sums };
}

/** Each norm from its own input (batch of one), its mean and variance copied into `recorded`. */
export function recordingExecution(recorded: Record<string, LayerNormStatistics>): NetworkExecution {
  return {
    differentiable: false,
    ...wholeImagePadding,
    norm(x: Tensor4D, layer: NormLayer, relu: boolean): Tensor4D {
      return tf.tidy(() => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        recorded[layer.name] = { mean: Float32Array.from(mean.dataSync()), variance: Float32Array.from(variance.dataSync()) };
        return inferenceNorm(x, layer, relu, { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D });
      });
    },
  };
}

/**
 * Each norm with the given statistics instead of its input's own; `observe`,
 * if given, sees each pre-norm map first, with the mean applied to it.
 * @throws RangeError (when a norm runs) if `statistics` lack a layer or have another channel count
 *   (they were recorded from another architecture)
 */
export function applyingExecution(statistics: NormStatistics, observe?: (x: Tensor4D, layer: string, mean: Float32Array) => void): NetworkExecution {
  return {
    differentiable: false,
    ...wholeImagePadding,
    norm(x: Tensor4D, layer: NormLayer, relu: boolean): Tensor4D {
      const channels = x.shape[3];
      const given = statistics[layer.name];
      if (given === undefined || given.mean.length !== channels || given.variance.length !== channels) {
        throw new RangeError(
          `instanceNorm: no statistics of ${channels} channels for layer '${layer.name}' (have: ${Object.keys(statistics).join(', ') || 'none'}). Record them with the same architecture.`,
        );
      }
      return tf.tidy(() => {
        observe?.(x, layer.name, given.mean);
        return inferenceNorm(x, layer, relu, { mean: tf.tensor1d(given.mean), variance: tf.tensor1d(given.variance) });
      });
    },
  };
}

/**
 * Adds the moments of x about `shift` over `region` (network-input pixels, scaled to x's
 * resolution: the input is `inputSize`) to `sums[name]`, when the region covers any of x.
 */
function accumulateSums(
  x: Tensor4D,
  shift: Float32Array,
  region: readonly [number, number, number, number],
  inputSize: readonly [number, number],
  sums: Record<string, LayerNormSums>,
  name: string,
): void {
  const [, h, w, c] = x.shape;
  const [top, left, bottom, right] = region;
  const factorH = inputSize[0] / h;
  const factorW = inputSize[1] / w;
  const y0 = Math.round(top / factorH);
  const x0 = Math.round(left / factorW);
  const rows = Math.round(bottom / factorH) - y0;
  const cols = Math.round(right / factorW) - x0;
  if (rows <= 0 || cols <= 0) return;
  const [sum, sumSquares] = tf.tidy(() => {
    const centred = tf.sub(tf.slice(x, [0, y0, x0, 0], [1, rows, cols, c]), tf.tensor4d(shift, [1, 1, 1, c]));
    return [tf.sum(centred, [0, 1, 2]).dataSync(), tf.sum(tf.square(centred), [0, 1, 2]).dataSync()];
  });
  const into = (sums[name] ??= { count: 0, sum: new Float64Array(c), sumSquares: new Float64Array(c), shift: Float32Array.from(shift) });
  into.count += rows * cols;
  for (let k = 0; k < c; k++) {
    into.sum[k] += sum[k] as number;
    into.sumSquares[k] += sumSquares[k] as number;
  }
}
