/**
 * @file The execution (src/networks/execution.ts) of one worker's band of
 * rows in a banded run (src/networks/layers/row-band.ts): a conv's rows
 * beyond the band come from the neighbouring bands (the image's own edge
 * where the band has none), its columns are padded here as the whole image
 * pads them, and each instance norm takes the whole image's statistics, summed
 * over every band. Layer by layer this equals the whole-image lean run up to
 * float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { padWholeMap, type Border, type NetworkExecution, type PadEdge } from '../networks/execution.js';
import { inferenceNorm, type NormLayer } from '../networks/layers/instance-norm.js';
import type { RowBand } from '../networks/layers/row-band.js';

/**
 * The execution of `band`. Every band must run the same layers in the same
 * order (each pad and norm is an exchange with the others) and hold a multiple
 * of 4 rows, so that each stride-2 conv's 'SAME' border is the whole image's.
 */
export function bandExecution(band: RowBand): NetworkExecution {
  const pad = (x: Tensor4D, border: Border, edge: PadEdge): Tensor4D =>
    tf.tidy(() => padWholeMap(band.padRows(x, border.top, border.bottom, edge), { top: 0, bottom: 0, left: border.left, right: border.right }, edge));
  return {
    differentiable: false,
    pad,
    conv: (x, kernel, stride, border, edge) => tf.tidy(() => tf.conv2d(pad(x, border, edge), kernel, stride, 'valid')),
    norm: (x: Tensor4D, layer: NormLayer, relu: boolean): Tensor4D => bandNorm(x, layer, relu, band),
  };
}

/**
 * Instance norm of one band's rows with the whole image's statistics: the
 * mean from every band's sums, then the variance about it (two passes, as
 * tf.moments), the sums in float64 across bands.
 */
function bandNorm(x: Tensor4D, layer: NormLayer, relu: boolean, band: RowBand): Tensor4D {
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
    return inferenceNorm(x, layer, relu, { mean, variance });
  });
}
