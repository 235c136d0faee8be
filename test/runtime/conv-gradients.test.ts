/**
 * Convolution gradients on WASM (src/runtime/kernels): the weight gradient
 * tfjs-backend-wasm lacks, the faster input gradient, conv2dTranspose and
 * fused conv2d, checked against float64 central differences of a direct
 * convolution (test/runtime/conv-reference.ts), against the CPU backend and
 * against the stock kernels they replace.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { planBackpropInputAxis } from '../../src/runtime/kernels/conv2d-backprop-input.js';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import {
  centralDifferences,
  conv2dReference,
  type PadSpec,
  padsFor,
  relativeError,
  seeded,
  type Shape4,
  weightedConvSum,
} from './conv-reference.js';

interface ConvCase {
  name: string;
  x: Shape4;
  w: Shape4;
  stride: number;
  pad: PadSpec;
}

const CASES: ConvCase[] = [
  { name: 'stride 1 same', x: [2, 6, 5, 3], w: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { name: 'stride 1 valid', x: [2, 6, 5, 3], w: [3, 3, 3, 4], stride: 1, pad: 'valid' },
  { name: 'stride 2 same', x: [2, 6, 5, 3], w: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { name: 'stride 2 valid', x: [2, 7, 6, 3], w: [3, 3, 3, 4], stride: 2, pad: 'valid' },
  { name: 'stride 1 pad 2, 5x5 input', x: [1, 5, 5, 2], w: [3, 3, 2, 3], stride: 1, pad: 2 },
  { name: 'stride 1 pad 4 (wider than the kernel)', x: [1, 5, 5, 2], w: [3, 3, 2, 2], stride: 1, pad: 4 },
  { name: 'stride 3 explicit asymmetric, 2x3 kernel', x: [1, 8, 7, 2], w: [2, 3, 2, 3], stride: 3, pad: { top: 1, bottom: 0, left: 2, right: 1 } },
];

const TOLERANCE = 1e-4;

function tfPad(pad: PadSpec): 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]] {
  return typeof pad === 'object' ? [[0, 0], [pad.top, pad.bottom], [pad.left, pad.right], [0, 0]] : pad;
}

function inputsOf(c: ConvCase) {
  const size = (s: Shape4) => s.reduce((a, b) => a * b, 1);
  const pads = padsFor(c.pad, c.x[1], c.x[2], c.w[0], c.w[1], c.stride);
  const x = seeded(size(c.x), 1);
  const w = seeded(size(c.w), 2);
  const outShape = conv2dReference(x, c.x, w, c.w, c.stride, pads).shape;
  return { x, w, r: seeded(size(outShape), 3), outShape, pads };
}

/** tf gradients of sum(conv2d(x, w) * r) on the active backend. */
function tfConvGradients(c: ConvCase): { dx: Float32Array; dw: Float32Array } {
  const { x, w, r, outShape } = inputsOf(c);
  return tf.tidy(() => {
    const rT = tf.tensor4d(r, outShape);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, tfPad(c.pad)), rT));
    const [dx, dw] = tf.grads(f)([tf.tensor4d(x, c.x), tf.tensor4d(w, c.w)]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

const reference = suite('conv gradients [wasm] vs float64 central differences');
reference.before(() => useBackend('wasm'));

for (const c of CASES) {
  reference(`${c.name}: d/dx and d/dw of sum(conv2d(x, w) * r)`, () => {
    const { x, w, r, pads } = inputsOf(c);
    const fdW = centralDifferences(w, (v) => weightedConvSum(x, c.x, v, c.w, c.stride, pads, r));
    const fdX = centralDifferences(x, (v) => weightedConvSum(v, c.x, w, c.w, c.stride, pads, r));
    const got = tfConvGradients(c);
    const ew = relativeError(got.dw, fdW);
    const ex = relativeError(got.dx, fdX);
    assert.ok(ew < TOLERANCE, `dw relative error ${ew}`);
    assert.ok(ex < TOLERANCE, `dx relative error ${ex}`);
  });
}

reference('the check can fail: a filter gradient off by one tap is caught', () => {
  const c = CASES[0] as ConvCase;
  const { x, w, r, pads } = inputsOf(c);
  const fdW = centralDifferences(w, (v) => weightedConvSum(x, c.x, v, c.w, c.stride, pads, r));
  const shifted = Float64Array.from(fdW, (_, k) => fdW[(k + c.w[3]) % fdW.length] as number);
  assert.ok(relativeError(shifted, fdW) > 0.1);
});

reference('conv2dTranspose stride 2 same: forward and both gradients', () => {
  // convT is the adjoint of conv: <conv(a, w), t> = <a, convT(t, w)>, so with
  // L = sum(convT(t, w) * r): dL/dt = conv(r, w), and dL/dw, convT(t, w) are
  // gradients of the reference's weighted sum.
  const outShape: Shape4 = [1, 6, 5, 4];
  const ws: Shape4 = [3, 3, 4, 2];
  const pads = padsFor('same', 6, 5, 3, 3, 2);
  const probe = conv2dReference(new Float64Array(6 * 5 * 4), outShape, new Float64Array(3 * 3 * 4 * 2), ws, 2, pads).shape;
  const t = seeded(probe.reduce((a, b) => a * b), 4);
  const w = seeded(3 * 3 * 4 * 2, 5);
  const r = seeded(6 * 5 * 4, 6);
  const forwardRef = centralDifferences(new Float64Array(6 * 5 * 4), (a) => weightedConvSum(a, outShape, w, ws, 2, pads, t));
  const dtRef = conv2dReference(r, outShape, w, ws, 2, pads).y;
  const dwRef = centralDifferences(w, (v) => weightedConvSum(r, outShape, v, ws, 2, pads, t));
  const got = tf.tidy(() => {
    const tT = tf.tensor4d(t, probe);
    const wT = tf.tensor4d(w, ws);
    const rT = tf.tensor4d(r, outShape);
    const convT = (a: tf.Tensor, b: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, 2, 'same');
    const forward = convT(tT, wT).dataSync();
    const [dt, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(convT(a, b), rT)))([tT, wT]);
    return { forward, dt: dt!.dataSync(), dw: dw!.dataSync() };
  });
  assert.ok(relativeError(got.forward, forwardRef) < TOLERANCE, 'forward');
  assert.ok(relativeError(got.dt, dtRef) < TOLERANCE, 'd/dt');
  assert.ok(relativeError(got.dw, dwRef) < TOLERANCE, 'd/dw');
});

reference('repeated gradient calls leave numTensors and backend data ids flat', () => {
  const c = CASES[2] as ConvCase;
  tfConvGradients(c);
  const before = { tensors: tf.memory().numTensors, ids: tf.backend().numDataIds() };
  for (let i = 0; i < 3; i++) tfConvGradients(c);
  tf.tidy(() => {
    const x = tf.randomUniform([1, 5, 5, 2]) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros([3]);
    tf.grads((a: tf.Tensor, f: tf.Tensor, c2: tf.Tensor) => tf.sum(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, bias: c2, activation: 'relu', strides: 1, pad: 'same' })))([x, w, b]);
  });
  assert.is(tf.memory().numTensors, before.tensors);
  assert.is(tf.backend().numDataIds(), before.ids);
});

reference.run();

/** Results of every cross-backend computation, per backend. */
async function onBackend(backend: 'cpu' | 'wasm'): Promise<Record<string, Float32Array>> {
  await useBackend(backend);
  const out: Record<string, Float32Array> = {};
  for (const c of CASES.slice(0, 4)) {
    const g = tfConvGradients(c);
    out[`${c.name} dx`] = g.dx;
    out[`${c.name} dw`] = g.dw;
  }
  tf.tidy(() => {
    const x = tf.tensor4d(seeded(2 * 6 * 6 * 3, 7), [2, 6, 6, 3]);
    const w = tf.tensor4d(seeded(3 * 3 * 3 * 4, 8), [3, 3, 3, 4]);
    const b = tf.tensor1d(seeded(4, 9));
    const fused = (a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, bias: c, activation: 'relu', strides: 2, pad: 'same' })));
    const [dx, dw, db] = tf.grads(fused)([x, w, b]);
    out['fused relu dx'] = dx!.dataSync() as Float32Array;
    out['fused relu dw'] = dw!.dataSync() as Float32Array;
    out['fused relu db'] = db!.dataSync() as Float32Array;
    // [stride, pad, output shape, input side]: 7 valid -> 5, 8 same stride 2 -> 4.
    for (const [stride, pad, shape, side] of [[1, 'valid', [1, 7, 7, 3], 5], [2, 'same', [1, 8, 8, 3], 4]] as const) {
      const t = tf.tensor4d(seeded(side * side * 2, 10), [1, side, side, 2]);
      const wt = tf.tensor4d(seeded(3 * 3 * 3 * 2, 11), [3, 3, 3, 2]);
      const convT = (a: tf.Tensor, f: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, f as tf.Tensor4D, [...shape], stride, pad);
      const [dt, dwt] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(convT(a, f))))([t, wt]);
      out[`conv2dTranspose s${stride} ${pad} y`] = convT(t, wt).dataSync() as Float32Array;
      out[`conv2dTranspose s${stride} ${pad} dt`] = dt!.dataSync() as Float32Array;
      out[`conv2dTranspose s${stride} ${pad} dw`] = dwt!.dataSync() as Float32Array;
    }
  });
  return out;
}

const agreement = suite('conv gradients: CPU and WASM agree to 1e-4 relative');
agreement('plain conv (stride 1, 2; same, valid), fused conv2d + relu, conv2dTranspose', async () => {
  const cpu = await onBackend('cpu');
  const wasm = await onBackend('wasm');
  assert.equal(Object.keys(wasm), Object.keys(cpu));
  for (const [key, expected] of Object.entries(cpu)) {
    const error = relativeError(wasm[key] as Float32Array, expected);
    assert.ok(error < TOLERANCE, `${key}: relative error ${error}`);
  }
});
agreement.run();

/** Runs a stock kernel config directly; returns its output values. */
function runStock(kernel: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Float32Array {
  const out = kernel.kernelFunc({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo;
  const values = tf.backend().readSync(out.dataId) as Float32Array;
  tf.backend().disposeData(out.dataId);
  return Float32Array.from(values);
}

const stock = suite('replacement kernels match the stock kernels they replace');
for (const backend of ['cpu', 'wasm'] as const) {
  stock(`${backend}: Conv2DBackpropFilter${backend === 'wasm' ? ' (vs stock CPU)' : ''} and Conv2DBackpropInput, stride 1 and 2`, async () => {
    for (const c of [CASES[0], CASES[3], CASES[6]] as ConvCase[]) {
      const { x, w, r, outShape } = inputsOf(c);
      const attrs = { strides: c.stride, pad: tfPad(c.pad), dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
      // The stock CPU filter kernel is the reference on both backends (WASM has none).
      await useBackend('cpu');
      const stockFilter = stockKernel('cpu', tf.Conv2DBackpropFilter);
      assert.ok(stockFilter !== undefined, 'the stock cpu kernel was kept');
      const [xs, rs] = [tf.tensor4d(x, c.x), tf.tensor4d(r, outShape)];
      const expectedDw = runStock(stockFilter!, { x: xs, dy: rs }, { ...attrs, filterShape: c.w });
      tf.dispose([xs, rs]);
      await useBackend(backend);
      const [x2, r2, w2] = [tf.tensor4d(x, c.x), tf.tensor4d(r, outShape), tf.tensor4d(w, c.w)];
      const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: x2, dy: r2 }, { ...attrs, filterShape: c.w }) as tf.Tensor;
      assert.ok(relativeError(dw.dataSync(), expectedDw) < TOLERANCE, `${c.name} dw`);
      if (backend === 'wasm') {
        const expectedDx = runStock(stockKernel('wasm', tf.Conv2DBackpropInput)!, { dy: r2, filter: w2 }, { ...attrs, inputShape: c.x });
        const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: r2, filter: w2 }, { ...attrs, inputShape: c.x }) as tf.Tensor;
        assert.ok(relativeError(dx.dataSync(), expectedDx) < TOLERANCE, `${c.name} dx`);
        dx.dispose();
      }
      tf.dispose([x2, r2, w2, dw]);
    }
  });
}

stock('wasm: NCHW filter gradient equals the NHWC one, transposed', async () => {
  await useBackend('wasm');
  const c = CASES[2] as ConvCase;
  const { x, r, outShape } = inputsOf(c);
  tf.tidy(() => {
    const xs = tf.tensor4d(x, c.x);
    const rs = tf.tensor4d(r, outShape);
    const attrs = { strides: c.stride, pad: c.pad, dimRoundingMode: undefined, filterShape: c.w } as unknown as tf.NamedAttrMap;
    const nhwc = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xs, dy: rs }, { ...attrs, dataFormat: 'NHWC' }) as tf.Tensor;
    const nchw = tf.engine().runKernel(
      tf.Conv2DBackpropFilter,
      { x: tf.transpose(xs, [0, 3, 1, 2]), dy: tf.transpose(rs, [0, 3, 1, 2]) },
      { ...attrs, dataFormat: 'NCHW' },
    ) as tf.Tensor;
    assert.ok(relativeError(nchw.dataSync(), nhwc.dataSync()) < 1e-6);
  });
});

stock('planBackpropInputAxis: paddings of the equivalent stride-1 conv, crops for wide padding', () => {
  // 3-tap 'same' stride 1 on 8 rows: pad 1 each side, nothing cropped.
  assert.equal(planBackpropInputAxis(8, 3, 1, 8), { cropStart: 0, keep: 8, padStart: 1, padEnd: 1 });
  // 'valid' stride 1: dy has 6 rows, padded by k - 1 = 2 both sides.
  assert.equal(planBackpropInputAxis(6, 3, 0, 8), { cropStart: 0, keep: 6, padStart: 2, padEnd: 2 });
  // stride 2 'same' on 8 rows (pads 0/1): dy 4 rows zero-stuffed to 8.
  assert.equal(planBackpropInputAxis(8, 3, 0, 8), { cropStart: 0, keep: 8, padStart: 2, padEnd: 0 });
  // pad 4 with a 3-tap filter: the first and last 2 dy rows only see padding.
  assert.equal(planBackpropInputAxis(11, 3, 4, 5), { cropStart: 2, keep: 7, padStart: 0, padEnd: 0 });
});
stock.run();
