/**
 * @file Independent float64 reference implementations of SPEC section 3,
 * written as plain loops (no tfjs), plus finite differences and helpers the
 * loss tests share. Not a test file itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { Random } from '../../src/random.js';

/** A dense NHWC (or any-rank) array in float64. */
export interface Nd {
  shape: number[];
  data: Float64Array;
}

/** Random values in [lo, hi), rounded to float32 so that tensors hold exactly the same numbers. */
export function randomNd(shape: number[], seed: number, lo = -1, hi = 1): Nd {
  const rng = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = Math.fround(lo + (hi - lo) * rng.next());
  return { shape, data };
}

export function toTensor4d(x: Nd): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(x.data), x.shape as [number, number, number, number]);
}

export function toTensor3d(x: Nd): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(x.data), x.shape as [number, number, number]);
}

const at4 = (x: Nd, b: number, h: number, w: number, c: number): number => {
  const [, H, W, C] = x.shape as [number, number, number, number];
  return x.data[((b * H + h) * W + w) * C + c]!;
};

/** G[b][i][j] = sum_{h,w} x[b,h,w,i] x[b,h,w,j] / (C H W). */
export function refGram(x: Nd): Nd {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const out = new Float64Array(B * C * C);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < C; i++)
      for (let j = 0; j < C; j++) {
        let s = 0;
        for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) s += at4(x, b, h, w, i) * at4(x, b, h, w, j);
        out[(b * C + i) * C + j] = s / (C * H * W);
      }
  return { shape: [B, C, C], data: out };
}

/** mean_b 1/(CHW) sum (x - t)^2 with t of batch 1 or B. */
export function refFeature(x: Nd, t: Nd): number {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  let total = 0;
  for (let b = 0; b < B; b++) {
    const tb = t.shape[0] === 1 ? 0 : b;
    let s = 0;
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) s += (at4(x, b, h, w, c) - at4(t, tb, h, w, c)) ** 2;
    total += s / (C * H * W);
  }
  return total / B;
}

/** mean_b sum_{i,j} (G(x)[b] - T[b or 0])^2. */
export function refStyle(x: Nd, targetGram: Nd): number {
  const g = refGram(x);
  const [B, C] = g.shape as [number, number, number];
  let total = 0;
  for (let b = 0; b < B; b++) {
    const tb = targetGram.shape[0] === 1 ? 0 : b;
    for (let k = 0; k < C * C; k++) total += (g.data[b * C * C + k]! - targetGram.data[tb * C * C + k]!) ** 2;
  }
  return total / B;
}

/** 1/(CHW) (sum |dx|^p + sum |dy|^p), pairs restricted to mask==1 on both pixels, mean over b. */
export function refTv(x: Nd, power: 1 | 2, mask?: Nd): number {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const inMask = (b: number, h: number, w: number): number => (mask === undefined ? 1 : at4(mask, mask.shape[0] === 1 ? 0 : b, h, w, 0));
  let total = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) {
          if (w + 1 < W) s += inMask(b, h, w) * inMask(b, h, w + 1) * Math.abs(at4(x, b, h, w + 1, c) - at4(x, b, h, w, c)) ** power;
          if (h + 1 < H) s += inMask(b, h, w) * inMask(b, h + 1, w) * Math.abs(at4(x, b, h + 1, w, c) - at4(x, b, h, w, c)) ** power;
        }
    total += s / (C * H * W);
  }
  return total / B;
}

/** Central differences of a float64 function at x, one coordinate at a time. */
export function numericGradient(f: (x: Nd) => number, x: Nd, eps = 1e-6): Float64Array {
  const grad = new Float64Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const plus = { shape: x.shape, data: Float64Array.from(x.data) };
    const minus = { shape: x.shape, data: Float64Array.from(x.data) };
    plus.data[i]! += eps;
    minus.data[i]! -= eps;
    grad[i] = (f(plus) - f(minus)) / (2 * eps);
  }
  return grad;
}

/** |a - b| <= atol + rtol |b| elementwise, with the first failure named. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: ${a} vs ${e}`);
  }
}

/** Reads a scalar and disposes it. */
export function take(scalar: tf.Tensor): number {
  const value = scalar.dataSync()[0]!;
  scalar.dispose();
  return value;
}

/** The analytic gradient of `f` at `x`, read back as numbers (all tensors disposed). */
export function tfGradient(f: (x: tf.Tensor4D) => tf.Scalar, x: Nd): Float32Array {
  const input = toTensor4d(x);
  const grad = tf.grad((t: tf.Tensor) => f(t as tf.Tensor4D))(input);
  const values = grad.dataSync() as Float32Array;
  tf.dispose([input, grad]);
  return values;
}

/** Asserts that calling `run` repeatedly leaves no tensor behind. */
export function assertNoLeak(run: () => void, what: string): void {
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) run();
  assert.is(tf.memory().numTensors, before, `${what}: numTensors after 3 more calls`);
}
