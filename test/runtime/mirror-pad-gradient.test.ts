/**
 * The corrected MirrorPad gradient (src/runtime/mirror-pad-gradient.ts):
 * tf.grad through tf.mirrorPad equals the exact adjoint computed by plain
 * index arithmetic (every padded cell adds its upstream value onto the pixel
 * it copies), for reflect and symmetric, 1-D to 4-D, asymmetric paddings,
 * on cpu and wasm; and it is what selectBackend registers. On wasm it runs as
 * one kernel (src/runtime/kernels/mirror-pad-adjoint.ts), which must equal the
 * gradient composed from tfjs ops on a training-sized batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MIRROR_PAD_ADJOINT_KERNEL } from '../../src/runtime/kernel-names.js';
import { mirrorPadAdjoint } from '../../src/runtime/mirror-pad-gradient.js';
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

test('wasm: the gradient runs as one kernel, without slices, and equals the composed ops on a batch of feature maps', async () => {
  await useBackend('wasm');
  // A style network's first padded conv input, smaller: a batch of 3, reflect 4 px, 16 channels.
  const shape = [3, 20, 18, 16];
  const paddings: [number, number][] = [[0, 0], [4, 4], [4, 4], [0, 0]];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i)), shape);
  const dy = tf.tensor(Float32Array.from({ length: 3 * 28 * 26 * 16 }, (_, i) => Math.cos(0.11 * i) + 0.01 * (i % 7)), [3, 28, 26, 16]);
  const before = tf.memory().numTensors;
  const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(v, paddings, 'reflect'), dy)));
  const profile = await tf.profile(() => tf.tidy(() => grad(x)));
  tf.dispose(profile.result as tf.Tensor);
  const names = profile.kernels.map((k) => k.name);
  assert.ok(names.includes(MIRROR_PAD_ADJOINT_KERNEL), `kernels run: ${names.join(', ')}`);
  assert.not.ok(names.includes('Slice'), 'no slices');
  const one = grad(x);
  const composed = mirrorPadAdjoint(dy, paddings, 'reflect');
  const [a, b] = [one.dataSync(), composed.dataSync()];
  for (let i = 0; i < size; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5 * (1 + Math.abs(b[i]!)), `[${i}]: kernel ${a[i]}, composed ${b[i]}`);
  tf.dispose([one, composed]);
  assert.is(tf.memory().numTensors, before, 'no tensors left behind');
  tf.dispose([x, dy]);
});

test.run();
