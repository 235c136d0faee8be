/**
 * @file The executions (src/networks/execution.ts) of tiled style inference:
 * a region's instance norms record the statistics of their input, apply
 * statistics given for the whole image, or apply them and add up the
 * pre-norm moments over the pixels the tile owns (norm-statistics.ts says
 * how run-tiled.ts combines these). Each pads the region as a whole image:
 * the tile plan gives every tile enough context that its border does not
 * reach the pixels it keeps.
 *
 * The norms read nothing while the network runs: they keep the statistics
 * they collect as tensors, read once the forward pass is done, all together:
 * with `data()` through `read()` (every backend, webgpu included: infer-region.ts),
 * or else synchronously on first use of `recorded` / `sums`.
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
  /** `record`: each layer's statistics in forward order (after `read`). */
  readonly recorded?: Record<string, LayerNormStatistics>;
  /** `accumulate`: each layer's moments over the owned pixels (after `read`). */
  readonly sums?: Record<string, LayerNormSums>;
  /** Reads what the norms collected with `data()`; call after the forward pass, before `recorded` or `sums`. */
  read(): Promise<void>;
  /** Frees what the norms collected without reading it (after a failed forward pass); idempotent. */
  dispose(): void;
}

/**
 * Tensors kept past their norm's tidy, read all at once with `data()` after
 * the forward pass (`read`) and then freed.
 */
class KeptTensors {
  private readonly tensors: tf.Tensor[] = [];
  private host?: Float32Array[];

  /** Keeps `tensor` (made inside a tidy) and returns its slot in the values `derive` builds from. */
  keep(tensor: tf.Tensor): number {
    if (this.host !== undefined) throw new Error('KeptTensors: kept after the values were read');
    this.tensors.push(tf.keep(tensor));
    return this.tensors.length - 1;
  }

  /** `build` of the values, computed on the first call after `read` and kept. */
  derive<T>(build: (values: Float32Array[]) => T): () => T {
    let built: { value: T } | undefined;
    return () => {
      if (this.host === undefined) throw new Error('TileExecution: read() the collected statistics before asking for them');
      return (built ??= { value: build(this.host) }).value;
    };
  }

  async read(): Promise<void> {
    if (this.host !== undefined) return;
    try {
      this.host = (await Promise.all(this.tensors.map((tensor) => tensor.data()))) as Float32Array[];
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    tf.dispose(this.tensors);
    this.tensors.length = 0;
  }
}

/**
 * The execution a request asks for; none: lean inference, each norm from its own input.
 * @param inputSize the region input's height and width (to scale `region` to each layer's resolution)
 */
export function tileExecution(stats: StatsRequest | undefined, inputSize: readonly [number, number]): TileExecution {
  const kept = new KeptTensors();
  const base = { read: () => kept.read(), dispose: () => kept.dispose() };
  if (stats === undefined) return { execution: leanExecution, ...base };
  if (stats.mode === 'apply') return { execution: applyingExecution(stats.statistics), ...base };
  if (stats.mode === 'record') {
    const layers: Array<{ name: string; mean: number; variance: number }> = [];
    const execution = recordingExecution((name, mean, variance) => layers.push({ name, mean: kept.keep(mean), variance: kept.keep(variance) }));
    const recorded = kept.derive((values) => {
      const out: Record<string, LayerNormStatistics> = {};
      for (const layer of layers) out[layer.name] = { mean: Float32Array.from(values[layer.mean]!), variance: Float32Array.from(values[layer.variance]!) };
      return out;
    });
    return {
      execution,
      ...base,
      get recorded() {
        return recorded();
      },
    };
  }
  const { region, statistics } = stats;
  const observed: Array<{ name: string; count: number; shift: Float32Array; sum: number; sumSquares: number }> = [];
  const execution = applyingExecution(statistics, (x, name, mean) => {
    const moments = ownedMoments(x, mean, region, inputSize);
    if (moments !== undefined) observed.push({ name, count: moments.count, shift: mean, sum: kept.keep(moments.sum), sumSquares: kept.keep(moments.sumSquares) });
  });
  const sums = kept.derive((values) => {
    const out: Record<string, LayerNormSums> = {};
    for (const layer of observed) {
      const c = layer.shift.length;
      const into = (out[layer.name] ??= { count: 0, sum: new Float64Array(c), sumSquares: new Float64Array(c), shift: Float32Array.from(layer.shift) });
      into.count += layer.count;
      const [sum, squares] = [values[layer.sum]!, values[layer.sumSquares]!];
      for (let k = 0; k < c; k++) {
        into.sum[k] += sum[k]!;
        into.sumSquares[k] += squares[k]!;
      }
    }
    return out;
  });
  return {
    execution,
    ...base,
    get sums() {
      return sums();
    },
  };
}

/** Each norm from its own input (batch of one), its mean and variance handed to `record` (tensors freed by the norm's tidy unless kept). */
export function recordingExecution(record: (layer: string, mean: tf.Tensor1D, variance: tf.Tensor1D) => void): NetworkExecution {
  return {
    differentiable: false,
    ...wholeImagePadding,
    norm(x: Tensor4D, layer: NormLayer, relu: boolean): Tensor4D {
      return tf.tidy(() => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        record(layer.name, mean as tf.Tensor1D, variance as tf.Tensor1D);
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
 * The moments of x about `shift` over `region` (network-input pixels, scaled to x's resolution:
 * the input is `inputSize`), as tensors of C values; undefined when the region covers none of x.
 */
function ownedMoments(
  x: Tensor4D,
  shift: Float32Array,
  region: readonly [number, number, number, number],
  inputSize: readonly [number, number],
): { count: number; sum: tf.Tensor1D; sumSquares: tf.Tensor1D } | undefined {
  const [, h, w, c] = x.shape;
  const [top, left, bottom, right] = region;
  const factorH = inputSize[0] / h;
  const factorW = inputSize[1] / w;
  const y0 = Math.round(top / factorH);
  const x0 = Math.round(left / factorW);
  const rows = Math.round(bottom / factorH) - y0;
  const cols = Math.round(right / factorW) - x0;
  if (rows <= 0 || cols <= 0) return undefined;
  // Runs inside the norm's tidy: the caller keeps what it needs.
  const centred = tf.sub(tf.slice(x, [0, y0, x0, 0], [1, rows, cols, c]), tf.tensor4d(shift, [1, 1, 1, c]));
  return { count: rows * cols, sum: tf.sum(centred, [0, 1, 2]), sumSquares: tf.sum(tf.square(centred), [0, 1, 2]) };
}
