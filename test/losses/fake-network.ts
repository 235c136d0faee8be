/**
 * @file A tiny deterministic LossNetwork for the joint-loss tests: three taps
 * from fixed small convolutions (tanh, so finite differences are smooth).
 * It records every call so tests can check how often the network runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureMaps, ImageBatch, LossNetwork } from '../../src/types.js';
import { randomNd } from './reference.js';

export interface FakeNetwork extends LossNetwork {
  /** The taps of each `features` call, in order. */
  readonly calls: string[][];
}

/** t1: tanh(conv3x3 3->4); t2: tanh(conv1x1 4->3 of avgpool2(t1)); t3: tanh(conv3x3 3->2 of t2). */
export function createFakeNetwork(seed = 7): FakeNetwork {
  const weight = (shape: [number, number, number, number], s: number): tf.Tensor4D => {
    const nd = randomNd(shape, s, -0.5, 0.5);
    return tf.tensor4d(Float32Array.from(nd.data), shape);
  };
  const w1 = weight([3, 3, 3, 4], seed);
  const w2 = weight([1, 1, 4, 3], seed + 1);
  const w3 = weight([3, 3, 3, 2], seed + 2);
  const taps = ['t1', 't2', 't3'] as const;
  const calls: string[][] = [];
  return {
    name: 'fake',
    source: `random(${seed})`,
    taps,
    calls,
    features(images: ImageBatch, requested: readonly string[]): FeatureMaps {
      calls.push([...requested]);
      for (const tap of requested) if (!(taps as readonly string[]).includes(tap)) throw new RangeError(`unknown tap ${tap}`);
      const deepest = Math.max(...requested.map((t) => taps.indexOf(t as (typeof taps)[number])));
      return tf.tidy(() => {
        const all: tf.Tensor4D[] = [];
        all.push(tf.tanh(tf.conv2d(images, w1, 1, 'same')));
        if (deepest >= 1) all.push(tf.tanh(tf.conv2d(tf.avgPool(all[0]!, 2, 2, 'valid'), w2, 1, 'same')));
        if (deepest >= 2) all.push(tf.tanh(tf.conv2d(all[1]!, w3, 1, 'same')));
        const out: FeatureMaps = {};
        for (const tap of requested) out[tap] = all[taps.indexOf(tap as (typeof taps)[number])]!;
        return out;
      });
    },
    dispose(): void {
      tf.dispose([w1, w2, w3]);
    },
  };
}
