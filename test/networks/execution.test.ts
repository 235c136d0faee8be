/**
 * The execution interface (src/networks/execution.ts): whole-image padding
 * against index formulas, and its conv against padding first; the style and SR networks ask their execution for
 * every border and every norm (a recording execution sees each request, with
 * the border the layer's padding rule gives); transposed convs of kernels
 * other than 3x3, which take the bordered path, equal tf.conv2dTranspose,
 * and a band of rows given its neighbours' rows as border computes its rows
 * of the whole map's transposed conv.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveSrArch, resolveStyleArch, styleChannels } from '../../src/networks/arch.js';
import { convWholeMap, leanExecution, padWholeMap, type Border, type MapPadding, type NetworkExecution, type PadEdge } from '../../src/networks/execution.js';
import { initParams } from '../../src/networks/init.js';
import { upsampleTranspose } from '../../src/networks/layers/upsample.js';
import { srNetwork } from '../../src/networks/sr-network.js';
import { styleNetwork } from '../../src/networks/style-network.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { lcgValues, maxRelativeError, reflectIndex } from './layers-reference.js';

/** Source index of padded position i (may be outside [0, n)) for `edge`, or -1 for zero. */
function sourceIndex(i: number, n: number, edge: PadEdge): number {
  if (i >= 0 && i < n) return i;
  if (edge === 'zero') return -1;
  if (edge === 'reflect') return reflectIndex(i, n);
  return i < 0 ? -1 - i : 2 * n - 1 - i;
}

test('cpu: padWholeMap pads reflect, symmetric and zero as their index formulas say; an empty border is x itself', async () => {
  await useBackend('cpu');
  const [h, w, c] = [5, 4, 2];
  const data = lcgValues(h * w * c, 1);
  const x = tf.tensor4d(data, [1, h, w, c]);
  const border: Border = { top: 2, bottom: 1, left: 3, right: 2 };
  for (const edge of ['reflect', 'symmetric', 'zero'] as const) {
    const y = padWholeMap(x, border, edge);
    const [H, W] = [h + 3, w + 5];
    assert.equal(y.shape, [1, H, W, c], edge);
    const got = y.dataSync();
    const want = new Float32Array(H * W * c);
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        const [si, sj] = [sourceIndex(i - border.top, h, edge), sourceIndex(j - border.left, w, edge)];
        for (let k = 0; k < c; k++) want[(i * W + j) * c + k] = si < 0 || sj < 0 ? 0 : data[(si * w + sj) * c + k]!;
      }
    assert.equal(Array.from(got), Array.from(want), edge);
    y.dispose();
  }
  assert.is(padWholeMap(x, { top: 0, bottom: 0, left: 0, right: 0 }, 'reflect'), x);
  x.dispose();
});

test('cpu: convWholeMap is the VALID conv of the padded map, for every edge, TF-SAME zero borders (left to the conv) and others', async () => {
  await useBackend('cpu');
  const x = tf.tensor4d(lcgValues(2 * 6 * 7 * 3, 7), [2, 6, 7, 3]);
  const kernel = tf.tensor4d(lcgValues(3 * 3 * 3 * 4, 8), [3, 3, 3, 4]);
  const borders: Array<[1 | 2, Border]> = [
    [1, { top: 1, bottom: 1, left: 1, right: 1 }], // TF 'SAME' at stride 1
    [2, { top: 0, bottom: 1, left: 1, right: 1 }], // TF 'SAME' at stride 2 on 6x7
    [2, { top: 1, bottom: 1, left: 1, right: 1 }],
    [1, { top: 2, bottom: 0, left: 0, right: 1 }],
  ];
  for (const [stride, border] of borders) {
    for (const edge of ['reflect', 'symmetric', 'zero'] as const) {
      const got = convWholeMap(x, kernel, stride, border, edge);
      const want = tf.tidy(() => tf.conv2d(padWholeMap(x, border, edge), kernel, stride, 'valid'));
      assert.equal(got.shape, want.shape);
      assert.ok(maxRelativeError(got.dataSync(), want.dataSync()) < 1e-6, `${JSON.stringify(border)} stride ${stride} ${edge}`);
      tf.dispose([got, want]);
    }
  }
  tf.dispose([x, kernel]);
});

interface Request {
  readonly kind: 'pad' | 'conv' | 'norm';
  readonly what: string;
}

/** leanExecution that writes down every request: pads and convs as `HxW top bottom left right edge`, norms as `name C relu`. */
function recorded(): { execution: NetworkExecution; requests: Request[] } {
  const requests: Request[] = [];
  const where = (x: tf.Tensor4D, b: Border, edge: PadEdge): string => `${x.shape[1]}x${x.shape[2]} ${b.top} ${b.bottom} ${b.left} ${b.right} ${edge}`;
  return {
    requests,
    execution: {
      differentiable: false,
      pad(x, b, edge) {
        requests.push({ kind: 'pad', what: where(x, b, edge) });
        return leanExecution.pad(x, b, edge);
      },
      conv(x, kernel, stride, b, edge) {
        requests.push({ kind: 'conv', what: where(x, b, edge) });
        return leanExecution.conv(x, kernel, stride, b, edge);
      },
      norm(x, layer, relu) {
        requests.push({ kind: 'norm', what: `${layer.name} ${x.shape[3]} ${relu}` });
        return leanExecution.norm(x, layer, relu);
      },
    },
  };
}

test('cpu: the style network asks its execution for every border and norm, in order, and its output is the execution\'s', async () => {
  await useBackend('cpu');
  const x = tf.tensor4d(lcgValues(16 * 12 * 3, 2, 0, 1), [1, 16, 12, 3]);
  // johnson, resize: reflection pads (the folded resize-conv's low-resolution view: symmetric by 1).
  const johnson = resolveStyleArch({ width: 0.125, residualBlocks: 1 });
  const [c32, c64, c128] = styleChannels(johnson);
  const params = initParams(johnson, 3);
  const spy = recorded();
  const out = styleNetwork(johnson, params, x, { execution: spy.execution });
  assert.equal(
    spy.requests.map((r) => `${r.kind} ${r.what}`),
    [
      'conv 16x12 4 4 4 4 reflect', `norm c1.norm ${c32} true`,
      'conv 16x12 1 1 1 1 reflect', `norm d1.norm ${c64} true`,
      'conv 8x6 1 1 1 1 reflect', `norm d2.norm ${c128} true`,
      'conv 4x3 1 1 1 1 reflect', `norm res0.norm1 ${c128} true`,
      'conv 4x3 1 1 1 1 reflect', `norm res0.norm2 ${c128} false`,
      'conv 4x3 1 1 1 1 symmetric', `norm u1.norm ${c64} true`,
      'conv 8x6 1 1 1 1 symmetric', `norm u2.norm ${c32} true`,
      'conv 16x12 4 4 4 4 reflect',
    ],
  );
  const lean = styleNetwork(johnson, params, x, { lean: true });
  assert.equal(Array.from(out.dataSync()), Array.from(lean.dataSync()), 'the recording execution pads and normalises as leanExecution');
  tf.dispose([out, lean, ...Object.values(params)]);
  // ml5: TF 'SAME' zero pads (the odd row and column of a stride-2 conv at the bottom/right), transposed upsampling, an output norm.
  const ml5 = resolveStyleArch({ variant: 'ml5', width: 0.125, residualBlocks: 0 });
  const ml5Params = initParams(ml5, 4);
  const spy5 = recorded();
  tf.dispose([styleNetwork(ml5, ml5Params, x, { execution: spy5.execution }), ...Object.values(ml5Params)]);
  assert.equal(
    spy5.requests.map((r) => r.what),
    [
      '16x12 4 4 4 4 zero', `c1.norm ${c32} true`,
      '16x12 0 1 0 1 zero', `d1.norm ${c64} true`,
      '8x6 0 1 0 1 zero', `d2.norm ${c128} true`,
      '4x3 1 1 1 1 zero', `u1.norm ${c64} true`,
      '8x6 1 1 1 1 zero', `u2.norm ${c32} true`,
      '16x12 4 4 4 4 zero', 'out.norm 3 false',
    ],
  );
  x.dispose();
});

test('cpu: the SR network takes every border from its execution and asks for no norm', async () => {
  await useBackend('cpu');
  const arch = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1, upsample: 'resize', c1Kernel: 5, outKernel: 3 });
  const params = initParams(arch, 5);
  const x = tf.tensor4d(lcgValues(6 * 7 * 3, 6, 0, 1), [1, 6, 7, 3]);
  const spy = recorded();
  const out = srNetwork(arch, params, x, { execution: spy.execution });
  assert.equal(
    spy.requests.map((r) => `${r.kind} ${r.what}`),
    ['conv 6x7 2 2 2 2 reflect', 'conv 6x7 1 1 1 1 reflect', 'conv 6x7 1 1 1 1 reflect', 'conv 6x7 1 1 1 1 symmetric', 'conv 12x14 1 1 1 1 reflect'],
  );
  const lean = srNetwork(arch, params, x, { lean: true });
  assert.equal(Array.from(out.dataSync()), Array.from(lean.dataSync()));
  tf.dispose([x, out, lean, ...Object.values(params)]);
});

for (const backend of TEST_BACKENDS) {
  test(`${backend}: transposed convs of 1x1, 2x2, 4x4 and 5x3 kernels (bordered path) equal tf.conv2dTranspose, values and gradients`, async () => {
    await useBackend(backend);
    for (const [i, [kh, kw]] of [[1, 1], [2, 2], [4, 4], [5, 3]].entries()) {
      const [b, h, w, cin, cout] = [2, 3, 5, 3, 2];
      const x = tf.tensor4d(lcgValues(b * h * w * cin, 10 + i), [b, h, w, cin]);
      const kernel = tf.tensor4d(lcgValues(kh! * kw! * cout * cin, 20 + i), [kh!, kw!, cout, cin]);
      const bias = tf.tensor1d(lcgValues(cout, 30 + i));
      const r = tf.tensor4d(lcgValues(b * 4 * h * w * cout, 40 + i), [b, 2 * h, 2 * w, cout]);
      const reference = (a: tf.Tensor, k: tf.Tensor, bb: tf.Tensor): tf.Tensor => tf.add(tf.conv2dTranspose(a as tf.Tensor4D, k as tf.Tensor4D, [b, 2 * h, 2 * w, cout], 2, 'same'), bb);
      const got = upsampleTranspose(x, kernel, bias);
      const want = reference(x, kernel, bias);
      assert.equal(got.shape, [b, 2 * h, 2 * w, cout]);
      assert.ok(maxRelativeError(got.dataSync(), want.dataSync()) < 1e-5, `${backend} ${kh}x${kw} values`);
      const loss = (f: (a: tf.Tensor, k: tf.Tensor, bb: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, k: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(a, k, bb), r));
      const gWant = tf.grads(loss(reference))([x, kernel, bias]);
      const gGot = tf.grads(loss((a, k, bb) => upsampleTranspose(a as tf.Tensor4D, k, bb)))([x, kernel, bias]);
      for (let g = 0; g < 3; g++) assert.ok(maxRelativeError(gGot[g]!.dataSync(), gWant[g]!.dataSync()) < 1e-5, `${backend} ${kh}x${kw} gradient ${g}`);
      tf.dispose([x, kernel, bias, r, got, want, ...gWant, ...gGot]);
    }
  });
}

/** Rows [start, start + H) of `whole` as a band: its border rows are the whole map's rows around it (zeros beyond), its columns zero-padded. */
function bandOf(whole: tf.Tensor4D, start: number): MapPadding {
  const pad = (x: tf.Tensor4D, b: Border, edge: PadEdge): tf.Tensor4D => {
    assert.is(edge, 'zero');
    const [n, , w, c] = whole.shape;
    return tf.tidy(() => {
      const rows = tf.pad(whole, [[0, 0], [b.top, b.bottom], [0, 0], [0, 0]]);
      return tf.pad(tf.slice(rows, [0, start, 0, 0], [n, x.shape[1] + b.top + b.bottom, w, c]), [[0, 0], [0, 0], [b.left, b.right], [0, 0]]);
    });
  };
  return { pad, conv: (x, kernel, stride, b, edge) => tf.tidy(() => tf.conv2d(pad(x, b, edge), kernel, stride, 'valid')) };
}

test('cpu: a band of rows bordered by its neighbours\' rows gives its rows of the whole transposed conv (3x3 and other kernels)', async () => {
  await useBackend('cpu');
  const [b, h, w, cin, cout] = [1, 9, 4, 2, 3];
  const whole = tf.tensor4d(lcgValues(b * h * w * cin, 50), [b, h, w, cin]);
  for (const [i, [kh, kw]] of [[3, 3], [1, 1], [2, 2], [4, 4], [5, 3]].entries()) {
    const kernel = tf.tensor4d(lcgValues(kh! * kw! * cout * cin, 60 + i), [kh!, kw!, cout, cin]);
    const want = upsampleTranspose(whole, kernel);
    for (const [start, rows] of [[0, 3], [3, 4], [7, 2]]) {
      const band = tf.slice(whole, [0, start!, 0, 0], [b, rows!, w, cin]);
      const got = upsampleTranspose(band, kernel, undefined, bandOf(whole, start!));
      const expected = tf.slice(want, [0, 2 * start!, 0, 0], [b, 2 * rows!, 2 * w, cout]);
      assert.ok(maxRelativeError(got.dataSync(), expected.dataSync()) < 1e-5, `${kh}x${kw} rows ${start}..${start! + rows!}`);
      tf.dispose([band, got, expected]);
    }
    tf.dispose([kernel, want]);
  }
  whole.dispose();
});

test.run();
