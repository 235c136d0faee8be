/**
 * The corrected MirrorPad gradient (src/runtime/mirror-pad-gradient.ts):
 * tf.grad through tf.mirrorPad equals the exact adjoint computed by plain
 * index arithmetic (every padded cell adds its upstream value onto the pixel
 * it copies), for reflect and symmetric, 1-D to 4-D, asymmetric paddings,
 * on cpu and wasm; and it is what selectBackend registers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';

/** Source index in [0, n) of padded index p (p in [-before, n + after)). */
function source(p: number, n: number, mode: 'reflect' | 'symmetric'): number {
  if (p < 0) return mode === 'reflect' ? -p : -p - 1;
  if (p >= n) return mode === 'reflect' ? 2 * (n - 1) - p : 2 * n - 1 - p;
  return p;
}

/** d/dx of sum(r * mirrorPad(x)) by accumulating r over the padded grid. */
function expectedGradient(shape: number[], paddings: [number, number][], mode: 'reflect' | 'symmetric', r: Float32Array): Float64Array {
  const padded = shape.map((n, a) => n + paddings[a]![0] + paddings[a]![1]);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  const out = new Float64Array(shape.reduce((x, y) => x * y, 1));
  const index = padded.map(() => 0);
  for (let flat = 0; flat < r.length; flat++) {
    let rest = flat;
    for (let a = padded.length - 1; a >= 0; a--) {
      index[a] = rest % padded[a]!;
      rest = Math.floor(rest / padded[a]!);
    }
    let target = 0;
    for (let a = 0; a < shape.length; a++) target += source(index[a]! - paddings[a]![0], shape[a]!, mode) * strides[a]!;
    out[target]! += r[flat]!;
  }
  return out;
}

const CASES: { shape: number[]; paddings: [number, number][] }[] = [
  { shape: [5], paddings: [[2, 3]] },
  { shape: [4, 6], paddings: [[1, 0], [0, 2]] },
  { shape: [2, 5, 4, 3], paddings: [[0, 0], [1, 1], [3, 2], [0, 0]] },
  { shape: [1, 3, 3, 2], paddings: [[0, 0], [2, 2], [2, 2], [0, 0]] }, // reflect pads by up to n - 1
];

for (const backend of TEST_BACKENDS) {
  test(`${backend}: tf.grad through mirrorPad is the exact adjoint (reflect and symmetric)`, async () => {
    await useBackend(backend);
    for (const { shape, paddings } of CASES) {
      for (const mode of ['reflect', 'symmetric'] as const) {
        if (mode === 'symmetric' && paddings.some(([b, a], i) => b > shape[i]! || a > shape[i]!)) continue;
        const size = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i)), shape);
        const paddedSize = shape.reduce((acc, n, a) => acc * (n + paddings[a]![0] + paddings[a]![1]), 1);
        const r = Float32Array.from({ length: paddedSize }, (_, i) => Math.cos(0.7 * i) + 0.1 * (i % 5));
        const rT = tf.tensor(r, shape.map((n, a) => n + paddings[a]![0] + paddings[a]![1]));
        const before = tf.memory().numTensors;
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(v, paddings, mode), rT)))(x);
        const expected = expectedGradient(shape, paddings, mode, r);
        const actual = g.dataSync();
        for (let i = 0; i < size; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) < 1e-4, `${mode} ${JSON.stringify({ shape, paddings })} at ${i}: ${actual[i]} vs ${expected[i]}`);
        g.dispose();
        assert.is(tf.memory().numTensors, before, 'no tensors left behind');
        tf.dispose([x, rT]);
      }
    }
  });
}

test.run();
