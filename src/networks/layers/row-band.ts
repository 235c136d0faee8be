/**
 * @file Row bands: several workers compute one image together, each a band
 * of rows of every layer (src/serve/band-runner.node.ts). Before each
 * convolution a worker takes the rows it needs above and below its band from
 * its neighbours (`padRows`), and each instance norm sums its statistics over
 * all bands (`sumAll`), so the result equals the whole network's up to float
 * rounding while each worker computes only its own rows. The execution that
 * runs a network this way is src/infer/band-execution.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { readRows } from '../../runtime/read-rows.js';
import type { PadEdge } from '../execution.js';

/** How an image's own top or bottom edge is padded: as the whole-image layer pads it. */
export type RowEdge = PadEdge;

/** One worker's band of a banded run. */
export interface RowBand {
  readonly index: number;
  readonly count: number;
  /**
   * `x` (this band's rows of a layer's input) with `top` rows above and
   * `bottom` below: the neighbouring bands' rows inside the image, `edge`
   * padding at the image's own top or bottom. Blocks until the neighbours
   * have published theirs. Caller disposes.
   */
  padRows(x: Tensor4D, top: number, bottom: number, edge: RowEdge): Tensor4D;
  /** The element-wise sum of `values` over all bands, in band order (identical in every band). Blocks. */
  sumAll(values: Float64Array): Float64Array;
}

/**
 * Rows `top` above / `bottom` below x (batch of one) made from x itself, as
 * `edge` pads the image border: mirrored rows in reverse order, or zeros.
 * Caller disposes.
 */
export function edgeRows(x: Tensor4D, count: number, side: 'top' | 'bottom', edge: RowEdge): Tensor4D {
  const [b, h, w, c] = x.shape;
  if (b !== 1) throw new RangeError(`row band: one image at a time (batch ${b})`);
  if (edge === 'zero' || count === 0) return tf.zeros([1, count, w, c]);
  const skip = edge === 'reflect' ? 1 : 0;
  if (count + skip > h) throw new RangeError(`row band: ${h} rows cannot give ${count} ${edge} rows; use fewer workers for this image`);
  const start = side === 'top' ? skip : h - skip - count;
  const rows = readRows(x, start, count);
  const row = w * c;
  const mirrored = new Float32Array(rows.length);
  for (let r = 0; r < count; r++) mirrored.set(rows.subarray(r * row, (r + 1) * row), (count - 1 - r) * row);
  return tf.tensor4d(mirrored, [1, count, w, c]);
}
