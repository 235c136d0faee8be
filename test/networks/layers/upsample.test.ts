/**
 * The folded resize-conv (src/networks/layers/upsample.ts) against the
 * unfolded formula it replaces (nearest 2x resize, then a padded 3x3 conv)
 * and against a plain-loop conv of the upsampled image: values, gradients
 * with respect to input, kernel and bias (checked against finite differences
 * too), and tensor bookkeeping, on every test backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dPadded, type ConvPadding } from '../../../src/networks/layers/conv.js';
import { foldedResizeConv3x3, upsampleResizeConv, upsampleTranspose } from '../../../src/networks/layers/upsample.js';
import { TEST_BACKENDS, useBackend } from '../../helpers/backends.js';
import { conv2dRef, lcgValues, maxRelativeError } from '../layers-reference.js';

type Fn = (x: tf.Tensor4D, kernel: tf.Tensor, padding: ConvPadding, bias?: tf.Tensor) => tf.Tensor4D;

/** The unfolded formula, exactly as upsample.ts computed it before folding. */
const unfolded: Fn = (x, kernel, padding, bias) =>
  tf.tidy(() => {
    const [, h, w] = x.shape;
    return conv2dPadded(tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w], false, false), kernel, 1, padding, bias);
  });

/**
 * The unfolded formula from ops whose tfjs gradients are right, independent of
 * perceptual's MirrorPad gradient fix (src/runtime/mirror-pad-gradient.ts) and
 * of tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad, which reads dy at the
 * wrong offset for batch > 1. Nearest 2x by concat; reflection by slices +
 * concat (H, W >= 2).
 */
const unfoldedExactGrad: Fn = (x, kernel, padding, bias) =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const r = tf.reshape(x, [b * h, 1, w, c]);
    const rows = tf.reshape(tf.concat([r, r], 1), [b * 2 * h * w, 1, c]);
    const big = tf.reshape(tf.concat([rows, rows], 1), [b, 2 * h, 2 * w, c]);
    let y: tf.Tensor4D;
    if (padding === 'same') {
      y = tf.conv2d(big as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same');
    } else {
      const [bh, bw] = [2 * h, 2 * w];
      const pr = tf.concat([tf.slice(big, [0, 1, 0, 0], [-1, 1, -1, -1]), big, tf.slice(big, [0, bh - 2, 0, 0], [-1, 1, -1, -1])], 1);
      const p = tf.concat([tf.slice(pr, [0, 0, 1, 0], [-1, -1, 1, -1]), pr, tf.slice(pr, [0, 0, bw - 2, 0], [-1, -1, 1, -1])], 2);
      y = tf.conv2d(p as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid');
    }
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });

const folded: Fn = (x, kernel, padding, bias) =>
  tf.tidy(() => {
    const y = foldedResizeConv3x3(x, kernel as tf.Tensor4D, padding);
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });

const IMPLS: ReadonlyArray<[string, Fn]> = [
  ['upsampleResizeConv', upsampleResizeConv],
  ['foldedResizeConv3x3', folded],
];

interface Case {
  readonly shape: [number, number, number, number];
  readonly cout: number;
  readonly k: number;
}

// Odd sizes, batch 2, channel counts not multiples of 4 (and some that are,
// for the wasm Winograd path), 1-pixel axes; non-3 kernels take the unfolded path.
const CASES: readonly Case[] = [
  { shape: [2, 3, 5, 3], cout: 5, k: 3 },
  { shape: [2, 4, 3, 6], cout: 7, k: 3 },
  { shape: [1, 5, 3, 8], cout: 4, k: 3 },
  { shape: [1, 1, 4, 2], cout: 3, k: 3 },
  { shape: [2, 1, 1, 3], cout: 2, k: 3 },
];

function inputs(c: Case, seed: number): { x: tf.Tensor4D; kernel: tf.Tensor4D; bias: tf.Tensor1D } {
  const [b, h, w, cin] = c.shape;
  return {
    x: tf.tensor4d(lcgValues(b * h * w * cin, seed, -2, 2), c.shape),
    kernel: tf.tensor4d(lcgValues(c.k * c.k * cin * c.cout, seed + 1), [c.k, c.k, cin, c.cout]),
    bias: tf.tensor1d(lcgValues(c.cout, seed + 2, -0.5, 0.5)),
  };
}

/** A random linear read-out r of the output, so each output pixel has a distinct weight. */
function readout(c: Case, seed: number): tf.Tensor4D {
  const [b, h, w] = c.shape;
  return tf.tensor4d(lcgValues(b * 4 * h * w * c.cout, seed), [b, 2 * h, 2 * w, c.cout]);
}

for (const backend of TEST_BACKENDS) {
  test(`${backend}: folded resize-conv equals resize then conv (reflect and same, +-bias)`, async () => {
    await useBackend(backend);
    const cases = [...CASES, { shape: [1, 3, 3, 2], cout: 3, k: 1 }, { shape: [1, 3, 2, 2], cout: 3, k: 5 }] as Case[];
    for (const [i, c] of cases.entries()) {
      const { x, kernel, bias } = inputs(c, 10 + i);
      for (const padding of ['reflect', 'same'] as const) {
        for (const b of [bias, undefined]) {
          const want = unfolded(x, kernel, padding, b);
          for (const [name, f] of c.k === 3 ? IMPLS : IMPLS.slice(0, 1)) {
            const got = f(x, kernel, padding, b);
            assert.equal(got.shape, [c.shape[0], 2 * c.shape[1], 2 * c.shape[2], c.cout]);
            const err = maxRelativeError(got.dataSync(), want.dataSync());
            assert.ok(err < 1e-5, `${backend} ${name} ${padding} ${JSON.stringify(c)} bias ${b !== undefined}: rel err ${err}`);
            got.dispose();
          }
          want.dispose();
        }
      }
      tf.dispose([x, kernel, bias]);
    }
  });

  test(`${backend}: folded resize-conv equals a plain-loop conv of the upsampled image`, async () => {
    await useBackend(backend);
    const [h, w, cin, cout] = [3, 4, 3, 5];
    const img = lcgValues(h * w * cin, 3, -1, 1);
    const kernel = lcgValues(9 * cin * cout, 4);
    const bias = lcgValues(cout, 5);
    // Nearest 2x in plain TS: big[y][x] = img[floor(y/2)][floor(x/2)].
    const big = new Float64Array(4 * h * w * cin);
    for (let y = 0; y < 2 * h; y++) {
      for (let xx = 0; xx < 2 * w; xx++) {
        for (let ch = 0; ch < cin; ch++) big[(y * 2 * w + xx) * cin + ch] = img[((y >> 1) * w + (xx >> 1)) * cin + ch]!;
      }
    }
    for (const [padding, mode] of [['reflect', 'reflect'], ['same', 'zero']] as const) {
      const want = conv2dRef({ h: 2 * h, w: 2 * w, c: cin, data: big }, kernel, [3, 3, cout], 1, [1, 1], [2 * h, 2 * w], mode, bias);
      for (const [name, f] of IMPLS) {
        const got = tf.tidy(() => f(tf.tensor4d(img, [1, h, w, cin]), tf.tensor4d(kernel, [3, 3, cin, cout]), padding, tf.tensor1d(bias)).dataSync());
        const err = maxRelativeError(got, want.data);
        assert.ok(err < 1e-5, `${backend} ${name} ${padding}: rel err ${err}`);
      }
    }
  });

  test(`${backend}: gradients w.r.t. kernel and bias equal the unfolded formula's; input gradient is exact`, async () => {
    await useBackend(backend);
    for (const [i, c] of CASES.entries()) {
      const { x, kernel, bias } = inputs(c, 40 + i);
      const r = readout(c, 70 + i);
      for (const padding of ['reflect', 'same'] as const) {
        const loss = (f: Fn) => (xx: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx as tf.Tensor4D, kk, padding, bb), r));
        const literal = tf.grads(loss(unfolded))([x, kernel, bias]);
        // Input gradients against the exact-gradient reference (the literal formula's is wrong there, see above).
        const exact = tf.grads(loss(unfoldedExactGrad))([x, kernel, bias]);
        for (const [name, f] of IMPLS) {
          const got = tf.grads(loss(f))([x, kernel, bias]);
          const checks: Array<[string, tf.Tensor, tf.Tensor]> = [
            ['input', got[0]!, exact[0]!],
            ['kernel', got[1]!, literal[1]!],
            ['bias', got[2]!, literal[2]!],
          ];
          for (const [what, a, b] of checks) {
            const err = maxRelativeError(a.dataSync(), b.dataSync());
            assert.ok(err < 1e-5, `${backend} ${name} ${padding} ${JSON.stringify(c)} d/d${what}: rel err ${err}`);
          }
          tf.dispose(got);
        }
        tf.dispose([...literal, ...exact]);
      }
      tf.dispose([x, kernel, bias, r]);
    }
  });

  test(`${backend}: input gradient matches central finite differences (the loss is linear in x)`, async () => {
    await useBackend(backend);
    const c: Case = { shape: [2, 2, 3, 2], cout: 3, k: 3 };
    const { x, kernel, bias } = inputs(c, 5);
    const r = readout(c, 6);
    const xs = x.dataSync();
    for (const padding of ['reflect', 'same'] as const) {
      const loss = (xx: tf.Tensor) => tf.sum(tf.mul(upsampleResizeConv(xx as tf.Tensor4D, kernel, padding, bias), r));
      const grad = tf.tidy(() => tf.grad(loss)(x).dataSync());
      const fd = new Float64Array(xs.length);
      const eps = 0.25;
      for (let i = 0; i < xs.length; i++) {
        const at = (d: number) => tf.tidy(() => {
          const v = Float32Array.from(xs);
          v[i] = v[i]! + d;
          return loss(tf.tensor4d(v, c.shape)).dataSync()[0]!;
        });
        fd[i] = (at(eps) - at(-eps)) / (2 * eps);
      }
      const err = maxRelativeError(grad, fd);
      assert.ok(err < 1e-3, `${backend} ${padding}: rel err ${err}`);
    }
    tf.dispose([x, kernel, bias, r]);
  });

  test(`${backend}: repeated forward and gradient calls leave numTensors flat`, async () => {
    await useBackend(backend);
    const { x, kernel, bias } = inputs(CASES[0]!, 99);
    const step = () => {
      for (const [, f] of IMPLS) {
        const y = f(x, kernel, 'reflect', bias);
        const g = tf.grads((xx: tf.Tensor, kk: tf.Tensor) => tf.sum(f(xx as tf.Tensor4D, kk, 'same')))([x, kernel]);
        tf.dispose([y, ...g]);
      }
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.is(tf.memory().numTensors, before);
    tf.dispose([x, kernel, bias]);
  });

  test(`${backend}: folded transposed conv equals tf.conv2dTranspose (values and gradients), plain-loop check`, async () => {
    await useBackend(backend);
    for (const [i, c] of CASES.entries()) {
      const [b, h, w, cin] = c.shape;
      const x = tf.tensor4d(lcgValues(b * h * w * cin, 200 + i, -2, 2), c.shape);
      const kernel = tf.tensor4d(lcgValues(9 * c.cout * cin, 210 + i), [3, 3, c.cout, cin]); // [K, K, Cout, Cin]
      const bias = tf.tensor1d(lcgValues(c.cout, 220 + i));
      const r = readout(c, 230 + i);
      const reference = (xx: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor): tf.Tensor =>
        tf.add(tf.conv2dTranspose(xx as tf.Tensor4D, kk as tf.Tensor4D, [b, 2 * h, 2 * w, c.cout], 2, 'same'), bb);
      const want = reference(x, kernel, bias);
      const got = upsampleTranspose(x, kernel, bias);
      assert.ok(maxRelativeError(got.dataSync(), want.dataSync()) < 1e-5, `${backend} values ${JSON.stringify(c)}`);
      // Plain loop of the definition: out[2i + ky, 2j + kx] += x[i, j] w[ky, kx] (TF 'SAME': no offset), cropped to 2H x 2W.
      const xs = x.dataSync();
      const ks = kernel.dataSync();
      const loop = new Float64Array(b * 4 * h * w * c.cout);
      for (let n = 0; n < b; n++)
        for (let yy = 0; yy < h; yy++)
          for (let xx = 0; xx < w; xx++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const [oy, ox] = [2 * yy + ky, 2 * xx + kx];
                if (oy >= 2 * h || ox >= 2 * w) continue;
                for (let co = 0; co < c.cout; co++) {
                  let sum = 0;
                  for (let ci = 0; ci < cin; ci++) sum += xs[((n * h + yy) * w + xx) * cin + ci]! * ks[((ky * 3 + kx) * c.cout + co) * cin + ci]!;
                  loop[((n * 2 * h + oy) * 2 * w + ox) * c.cout + co] += sum;
                }
              }
      const noBias = upsampleTranspose(x, kernel);
      assert.ok(maxRelativeError(noBias.dataSync(), loop) < 1e-5, `${backend} plain loop ${JSON.stringify(c)}`);
      const loss = (f: (a: tf.Tensor, k: tf.Tensor, bb: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, k: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(a, k, bb), r));
      const gWant = tf.grads(loss(reference))([x, kernel, bias]);
      const gGot = tf.grads(loss((a, k, bb) => upsampleTranspose(a as tf.Tensor4D, k, bb)))([x, kernel, bias]);
      for (let g = 0; g < 3; g++) {
        assert.ok(maxRelativeError(gGot[g]!.dataSync(), gWant[g]!.dataSync()) < 1e-5, `${backend} gradient ${g} ${JSON.stringify(c)}`);
      }
      tf.dispose([x, kernel, bias, r, want, got, noBias, ...gWant, ...gGot]);
    }
  });
}

test.run();
