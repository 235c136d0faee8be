/**
 * @file The shared memory behind a banded run (src/networks/layers/row-band.ts):
 * each worker publishes the rows its neighbours need and its instance-norm
 * sums, and a barrier (Atomics.wait / notify) separates writing from
 * reading. Slots are double-buffered by call parity, so one barrier per
 * exchange suffices: a worker can only overwrite a slot two exchanges later,
 * after every worker has passed the barrier in between. A failing worker
 * sets the abort flag and wakes the others, which then throw.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { edgeRows, type RowBand } from '../networks/layers/row-band.js';
import { readRows } from '../runtime/read-rows.js';

const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;

/** What the workers of one run share (structured-cloneable: SharedArrayBuffers pass by reference). */
export interface BandExchange {
  readonly count: number;
  /** Floats of one halo slot (the most rows x width x channels any layer sends). */
  readonly haloFloats: number;
  /** Doubles of one sums slot (channels + 1 of the widest norm). */
  readonly sumDoubles: number;
  /** Longest wait at one barrier, ms. */
  readonly timeoutMs: number;
  readonly control: SharedArrayBuffer;
  /** [parity][band][up | down][haloFloats] float32. */
  readonly halos: SharedArrayBuffer;
  /** [parity][band][sumDoubles] float64. */
  readonly sums: SharedArrayBuffer;
}

/** Allocates the exchange of a run. */
export function createBandExchange(count: number, haloFloats: number, sumDoubles: number, timeoutMs: number): BandExchange {
  return {
    count,
    haloFloats,
    sumDoubles,
    timeoutMs,
    control: new SharedArrayBuffer(3 * 4),
    halos: new SharedArrayBuffer(2 * count * 2 * haloFloats * 4),
    sums: new SharedArrayBuffer(2 * count * sumDoubles * 8),
  };
}

/** Marks the run failed and wakes every worker waiting at a barrier. */
export function abortBandExchange(exchange: BandExchange): void {
  const control = new Int32Array(exchange.control);
  Atomics.store(control, ABORT, 1);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
}

function barrier(control: Int32Array, count: number, timeoutMs: number): void {
  const generation = Atomics.load(control, GENERATION);
  if (Atomics.load(control, ABORT) === 1) throw new Error('another worker of this banded run failed');
  if (Atomics.add(control, ARRIVED, 1) === count - 1) {
    Atomics.store(control, ARRIVED, 0);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    return;
  }
  while (Atomics.load(control, GENERATION) === generation) {
    if (Atomics.wait(control, GENERATION, generation, timeoutMs) === 'timed-out') {
      throw new Error(`a banded run waited ${timeoutMs} ms for the other workers at one layer`);
    }
  }
  if (Atomics.load(control, ABORT) === 1) throw new Error('another worker of this banded run failed');
}

/** Worker `index`'s RowBand over `exchange`. */
export function exchangeBand(exchange: BandExchange, index: number): RowBand {
  const { count, haloFloats, sumDoubles, timeoutMs } = exchange;
  const control = new Int32Array(exchange.control);
  const halos = new Float32Array(exchange.halos);
  const sums = new Float64Array(exchange.sums);
  let calls = 0;
  const haloSlot = (parity: number, band: number, side: 0 | 1): number => ((parity * count + band) * 2 + side) * haloFloats;
  return {
    index,
    count,
    padRows(x, top, bottom, edge) {
      const parity = calls++ & 1;
      const [b, h, w, c] = x.shape;
      if (b !== 1) throw new RangeError(`row bands hold one image (batch ${b})`);
      if (Math.max(top, bottom) * w * c > haloFloats) throw new RangeError(`row band: ${Math.max(top, bottom)} rows of ${w}x${c} exceed the halo slot`);
      if (h < Math.max(top, bottom)) throw new RangeError(`row band: ${h} rows cannot give ${Math.max(top, bottom)} rows to a neighbour; use fewer workers for this image`);
      // Up slot: my first rows, the bottom halo of the band above; down slot: my last rows, the top halo of the band below.
      if (index > 0 && bottom > 0) halos.set(readRows(x, 0, bottom), haloSlot(parity, index, 0));
      if (index < count - 1 && top > 0) halos.set(readRows(x, h - top, top), haloSlot(parity, index, 1));
      barrier(control, count, timeoutMs);
      const from = (band: number, side: 0 | 1, rows: number): Tensor4D => {
        const start = haloSlot(parity, band, side);
        return tf.tensor4d(halos.slice(start, start + rows * w * c), [1, rows, w, c]);
      };
      return tf.tidy(() => {
        const above = index > 0 ? from(index - 1, 1, top) : edgeRows(x, top, 'top', edge);
        const below = index < count - 1 ? from(index + 1, 0, bottom) : edgeRows(x, bottom, 'bottom', edge);
        return tf.concat([above, x, below], 1) as Tensor4D;
      });
    },
    sumAll(values) {
      const parity = calls++ & 1;
      if (values.length > sumDoubles) throw new RangeError(`row band: ${values.length} sums exceed the slot of ${sumDoubles}`);
      sums.set(values, (parity * count + index) * sumDoubles);
      barrier(control, count, timeoutMs);
      const total = new Float64Array(values.length);
      for (let band = 0; band < count; band++) {
        const start = (parity * count + band) * sumDoubles;
        for (let i = 0; i < values.length; i++) total[i]! += sums[start + i]!;
      }
      return total;
    },
  };
}
