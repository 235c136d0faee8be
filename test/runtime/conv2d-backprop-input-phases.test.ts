/**
 * The phase-decomposed WASM `Conv2DBackpropInput` (stride > 1): the phase
 * plans against hand-derived values, 'split' (the default) and the previous
 * zero-stuffing against a float64 transcription of
 * the definition and against the stock tfjs-backend-wasm kernel, including the
 * style network's conv2dTranspose calls at 8x8, odd sizes, stride 3, mixed
 * strides, wide padding and a kernel narrower than its stride.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeConv2DBackpropInputConfig, type StridedMethod } from '../../src/runtime/kernels/conv2d-backprop-input.js';
import { planAxisPhases, planPhaseWindow } from '../../src/runtime/kernels/conv2d-backprop-input-phases.js';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeaks } from '../helpers/leaks.js';
import { centralDifferences, padsFor, type Pads, relativeError, seeded, type Shape4, weightedConvSum } from './conv-reference.js';

const TOLERANCE = 1e-4;

type TfPad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  /** dx shape (the forward conv's input). */
  x: Shape4;
  /** [KH, KW, C, O]. */
  w: Shape4;
  strides: [number, number];
  pad: TfPad;
}

/** Explicit pads of a case, TensorFlow's rules ('same': the odd pixel at the end). */
function padsOf(c: Case): Pads {
  if (Array.isArray(c.pad)) return { top: c.pad[1][0], bottom: c.pad[1][1], left: c.pad[2][0], right: c.pad[2][1] };
  if (c.pad !== 'same') return padsFor(c.pad, 0, 0, 0, 0, 1);
  const side = (n: number, k: number, s: number) => Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  const th = side(c.x[1], c.w[0], c.strides[0]);
  const tw = side(c.x[2], c.w[1], c.strides[1]);
  return { top: Math.floor(th / 2), bottom: th - Math.floor(th / 2), left: Math.floor(tw / 2), right: tw - Math.floor(tw / 2) };
}

/** dy's shape: the forward conv's output. */
function dyShape(c: Case, p: Pads): Shape4 {
  const out = (n: number, k: number, s: number, a: number, b: number) => Math.floor((n + a + b - k) / s) + 1;
  return [c.x[0], out(c.x[1], c.w[0], c.strides[0], p.top, p.bottom), out(c.x[2], c.w[1], c.strides[1], p.left, p.right), c.w[3]];
}

/**
 * dx[b, h, w, c] = sum over dy[b, i, j, o] w[p, q, c, o] with i sH + p - top = h,
 * j sW + q - left = w: the definition, in float64 (no tfjs code).
 */
function backpropInputReference(dy: Float32Array, ds: Shape4, w: Float32Array, ws: Shape4, c: Case, p: Pads): Float64Array {
  const [batch, h, wd, ch] = c.x;
  const [, oh, ow, o] = ds;
  const [kh, kw] = ws;
  const dx = new Float64Array(batch * h * wd * ch);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let q = 0; q < kh; q++) {
          const r = i * c.strides[0] + q - p.top;
          if (r < 0 || r >= h) continue;
          for (let t = 0; t < kw; t++) {
            const s = j * c.strides[1] + t - p.left;
            if (s < 0 || s >= wd) continue;
            for (let ci = 0; ci < ch; ci++) {
              let sum = 0;
              for (let co = 0; co < o; co++) sum += (dy[((b * oh + i) * ow + j) * o + co] as number) * (w[((q * kw + t) * ch + ci) * o + co] as number);
              const k = ((b * h + r) * wd + s) * ch + ci;
              dx[k] = (dx[k] as number) + sum;
            }
          }
        }
  return dx;
}

const CASES: Case[] = [
  // The style network's conv2dTranspose calls (3x3, stride 2, 'same', output 2H x 2W) at 8x8.
  { name: 'convT [1,8,8,128] -> [1,16,16,64]', x: [1, 16, 16, 64], w: [3, 3, 64, 128], strides: [2, 2], pad: 'same' },
  { name: 'convT [1,8,8,64] -> [1,16,16,32]', x: [1, 16, 16, 32], w: [3, 3, 32, 64], strides: [2, 2], pad: 'same' },
  { name: 'even sizes, batch 2 (the interleaved path)', x: [2, 8, 6, 3], w: [3, 3, 3, 5], strides: [2, 2], pad: 'same' },
  { name: 'odd sizes, batch 2, C/O not multiples of 4', x: [2, 9, 7, 5], w: [3, 3, 5, 6], strides: [2, 2], pad: 'same' },
  { name: 'stride 2 valid, odd input', x: [1, 7, 9, 3], w: [3, 3, 3, 2], strides: [2, 2], pad: 'valid' },
  { name: 'stride 3 valid, 4x5 kernel', x: [1, 11, 13, 3], w: [4, 5, 3, 5], strides: [3, 3], pad: 'valid' },
  { name: 'stride 3 explicit asymmetric', x: [1, 8, 10, 2], w: [3, 2, 2, 3], strides: [3, 3], pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  { name: 'padding wider than the kernel', x: [1, 6, 6, 2], w: [3, 3, 2, 3], strides: [2, 2], pad: 4 },
  { name: '1x1 kernel, stride 2 (phases no tap reaches)', x: [2, 8, 7, 3], w: [1, 1, 3, 4], strides: [2, 2], pad: 'valid' },
  { name: 'mixed strides [2, 1], 4x2 kernel same', x: [1, 9, 6, 4], w: [4, 2, 4, 3], strides: [2, 1], pad: 'same' },
  { name: 'stride 4, 3x3 kernel (kernel < stride)', x: [1, 12, 11, 2], w: [3, 3, 2, 2], strides: [4, 4], pad: 'same' },
];

function attrsOf(c: Case): tf.NamedAttrMap {
  return { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x } as unknown as tf.NamedAttrMap;
}

/** Runs a kernel config directly on the active backend; returns its values. */
function runConfig(kernel: tf.KernelConfig, dy: tf.Tensor, w: tf.Tensor, attrs: tf.NamedAttrMap): Float32Array {
  const out = kernel.kernelFunc({ inputs: { dy, filter: w }, backend: tf.backend(), attrs }) as tf.TensorInfo;
  const values = Float32Array.from(tf.backend().readSync(out.dataId) as Float32Array);
  tf.backend().disposeData(out.dataId);
  return values;
}

const plans = suite('phase plans');

plans('3x3 stride 2 same on 8 rows: a 2-tap phase (one padding row on top) and a 1-tap phase', () => {
  // pad top 0: even rows h = 2u take taps 0, 2 (dy rows u - 1, u); odd rows tap 1 (dy row u).
  const phases = planAxisPhases(3, 2, 0, 8);
  assert.equal(phases, [
    { phase: 0, count: 4, first: 0, taps: 2, start: -1 },
    { phase: 1, count: 4, first: 1, taps: 1, start: 0 },
  ]);
  // Phase 0 reads dy rows -1 .. 3 (row -1 is padding); phase 1 reads rows 0 .. 3.
  assert.equal(planPhaseWindow(phases[0]!, 4), { cropStart: 0, keep: 4, padStart: 1, padEnd: 0 });
  assert.equal(planPhaseWindow(phases[1]!, 4), { cropStart: 0, keep: 4, padStart: 0, padEnd: 0 });
});

plans('1x1 stride 2 on 5 rows: odd rows get no tap; wide padding crops dy', () => {
  assert.equal(planAxisPhases(1, 2, 0, 5), [
    { phase: 0, count: 3, first: 0, taps: 1, start: 0 },
    { phase: 1, count: 2, first: 1, taps: 0, start: 1 },
  ]);
  // pad 4, 3 taps, stride 2, 6 rows (dy has 6 rows): phase 0 reads dy rows u + 1, u + 2.
  const [p0] = planAxisPhases(3, 2, 4, 6);
  assert.equal(p0, { phase: 0, count: 3, first: 0, taps: 2, start: 1 });
  // Its 3 outputs read dy rows 1 .. 4: row 0 is cropped, row 5 too.
  assert.equal(planPhaseWindow(p0!, 6), { cropStart: 1, keep: 4, padStart: 0, padEnd: 0 });
});
plans.run();

const kernels = suite('phase-decomposed Conv2DBackpropInput [wasm] vs float64 and the stock kernel');
kernels.before(() => useBackend('wasm'));

for (const c of CASES) {
  kernels(c.name, () => {
    const pads = padsOf(c);
    const ds = dyShape(c, pads);
    const dyv = seeded(ds.reduce((a, b) => a * b), 21);
    const wv = seeded(c.w.reduce((a, b) => a * b), 22);
    const expected = backpropInputReference(dyv, ds, wv, c.w, c, pads);
    const stock = stockKernel('wasm', tf.Conv2DBackpropInput);
    assert.ok(stock !== undefined, 'the stock wasm kernel was kept');
    const [dy, w] = [tf.tensor4d(dyv, ds), tf.tensor4d(wv, c.w)];
    const attrs = attrsOf(c);
    const stockDx = runConfig(stock!, dy, w, attrs);
    assert.ok(relativeError(stockDx, expected) < TOLERANCE, 'stock kernel vs float64 (the references agree)');
    for (const method of ['split', 'zero-stuff'] as StridedMethod[]) {
      const got = runConfig(makeConv2DBackpropInputConfig(stock!, { strided: method }), dy, w, attrs);
      assert.ok(relativeError(got, expected) < TOLERANCE, `${method} vs float64: ${relativeError(got, expected)}`);
      assert.ok(relativeError(got, stockDx) < TOLERANCE, `${method} vs stock: ${relativeError(got, stockDx)}`);
    }
    const registered = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, attrs) as tf.Tensor;
    assert.ok(relativeError(registered.dataSync(), expected) < TOLERANCE, 'registered kernel vs float64');
    tf.dispose([dy, w, registered]);
  });
}

kernels('tf.conv2dTranspose [1,8,8,64] -> [1,16,16,32] equals the definition', () => {
  const c = CASES[1] as Case;
  const pads = padsOf(c);
  const t = seeded(8 * 8 * 64, 23);
  const w = seeded(3 * 3 * 32 * 64, 24);
  const expected = backpropInputReference(t, [1, 8, 8, 64], w, c.w, c, pads);
  const got = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(t, [1, 8, 8, 64]), tf.tensor4d(w, c.w), [1, 16, 16, 32], 2, 'same').dataSync());
  assert.ok(relativeError(got, expected) < TOLERANCE);
});

kernels('a wrong phase is caught: the reference differs from dx with two phases swapped', () => {
  const c = CASES[3] as Case;
  const pads = padsOf(c);
  const ds = dyShape(c, pads);
  const expected = backpropInputReference(seeded(ds.reduce((a, b) => a * b), 21), ds, seeded(c.w.reduce((a, b) => a * b), 22), c.w, c, pads);
  const [, , w, ch] = c.x;
  const swapped = Float64Array.from(expected, (_, k) => {
    const col = Math.floor(k / ch) % w;
    return col % 2 === 0 && col + 1 < w ? (expected[k + ch] as number) : (expected[k] as number);
  });
  assert.ok(relativeError(swapped, expected) > 0.1);
});

kernels('repeated calls leave numTensors and backend data ids flat (regular and scattered paths)', () => {
  assertNoLeaks(() => {
    for (const c of [CASES[0], CASES[3], CASES[8]] as Case[]) {
      const pads = padsOf(c);
      const ds = dyShape(c, pads);
      tf.tidy(() => {
        const dy = tf.tensor4d(seeded(ds.reduce((a, b) => a * b), 25), ds);
        const w = tf.tensor4d(seeded(c.w.reduce((a, b) => a * b), 26), c.w);
        (tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, attrsOf(c)) as tf.Tensor).dataSync();
      });
    }
  });
});

kernels('tf.grad through a stride-2 tf.conv2d matches float64 central differences', () => {
  const xs: Shape4 = [2, 7, 6, 3];
  const ws: Shape4 = [3, 3, 3, 4];
  const pads = padsFor('same', 7, 6, 3, 3, 2);
  const x = seeded(xs.reduce((a, b) => a * b), 27);
  const w = seeded(ws.reduce((a, b) => a * b), 28);
  const outShape: Shape4 = [2, 4, 3, 4];
  const r = seeded(outShape.reduce((a, b) => a * b), 29);
  const expected = centralDifferences(x, (v) => weightedConvSum(v, xs, w, ws, 2, pads, r));
  const got = tf.tidy(() => {
    const rT = tf.tensor4d(r, outShape);
    const wT = tf.tensor4d(w, ws);
    return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, wT, 2, 'same'), rT)))(tf.tensor4d(x, xs)).dataSync();
  });
  assert.ok(relativeError(got, expected) < TOLERANCE, `${relativeError(got, expected)}`);
});

kernels.run();
