import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dPadded } from '../../src/networks/layers/conv.js';
import { instanceNorm } from '../../src/networks/layers/instance-norm.js';
import { reflectionPad } from '../../src/networks/layers/reflection-pad.js';
import { runSteps, type NetworkStep } from '../../src/networks/layers/sequential.js';
import { upsampleResizeConv, upsampleTranspose } from '../../src/networks/layers/upsample.js';
import { useBackend } from '../helpers/backends.js';
import { conv2dRef, instanceNormRef, lcgValues, maxRelativeError, reflectIndex } from './layers-reference.js';

test.before(async () => {
  await useBackend('cpu');
});

test('instanceNorm matches a plain loop (mean, biased variance, eps) per image and channel', () => {
  const [b, h, w, c] = [2, 3, 4, 2];
  const data = lcgValues(b * h * w * c, 7, -3, 5);
  const gamma = [1.5, -0.5];
  const beta = [0.25, 2];
  for (const eps of [1e-5, 1e-3, 1]) {
    const got = tf.tidy(() => instanceNorm(tf.tensor4d(data, [b, h, w, c]), tf.tensor1d(gamma), tf.tensor1d(beta), eps).dataSync());
    for (let i = 0; i < b; i++) {
      const image = data.subarray(i * h * w * c, (i + 1) * h * w * c);
      const want = instanceNormRef({ h, w, c, data: image }, gamma, beta, eps).data;
      assert.ok(maxRelativeError(got.subarray(i * h * w * c, (i + 1) * h * w * c), want) < 1e-5, `eps ${eps}, image ${i}`);
    }
  }
});

test('reflectionPad: [1,2,3] padded by 2 is [3,2,1,2,3,2,1]; 2-D values follow the reflection index', () => {
  const row = tf.tidy(() => reflectionPad(tf.tensor4d([1, 2, 3], [1, 1, 3, 1]), [0, 0], [2, 2]).dataSync());
  assert.equal(Array.from(row), [3, 2, 1, 2, 3, 2, 1]);
  const [h, w] = [3, 4];
  const data = Array.from({ length: h * w }, (_, i) => i);
  const padded = tf.tidy(() => reflectionPad(tf.tensor4d(data, [1, h, w, 1]), [2, 1], [1, 3]));
  assert.equal(padded.shape, [1, 6, 8, 1]);
  const got = padded.dataSync();
  for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) assert.is(got[y * 8 + x], data[reflectIndex(y - 2, h) * w + reflectIndex(x - 1, w)]);
  padded.dispose();
});

test('reflectionPad handles pads >= the axis (reflects again) and 1-pixel axes (replicates)', () => {
  const row = tf.tidy(() => reflectionPad(tf.tensor4d([1, 2], [1, 1, 2, 1]), [0, 0], [3, 3]).dataSync());
  // Periodic reflection of [1,2]: ... 2 1 2 | 1 2 | 1 2 1 ...
  assert.equal(Array.from(row), [2, 1, 2, 1, 2, 1, 2, 1]);
  const one = tf.tidy(() => reflectionPad(tf.tensor4d([5], [1, 1, 1, 1]), [1, 2], [0, 1]));
  assert.equal(one.shape, [1, 4, 2, 1]);
  assert.equal(Array.from(one.dataSync()), Array(8).fill(5));
  one.dispose();
});

test('conv2dPadded reflect (stride 1 and 2, with bias) matches a plain loop', () => {
  const [h, w, cin, cout] = [6, 5, 2, 3];
  const x = lcgValues(h * w * cin, 1);
  const k3 = lcgValues(9 * cin * cout, 2);
  const bias = [0.1, -0.2, 0.3];
  const s1 = tf.tidy(() => conv2dPadded(tf.tensor4d(x, [1, h, w, cin]), tf.tensor4d(k3, [3, 3, cin, cout]), 1, 'reflect', tf.tensor1d(bias)).dataSync());
  assert.ok(maxRelativeError(s1, conv2dRef({ h, w, c: cin, data: x }, k3, [3, 3, cout], 1, [1, 1], [h, w], 'reflect', bias).data) < 1e-5);
  // Stride 2, reflect pad 1 each side then VALID: output floor((H + 2 - 3) / 2) + 1.
  const s2 = tf.tidy(() => conv2dPadded(tf.tensor4d(x, [1, h, w, cin]), tf.tensor4d(k3, [3, 3, cin, cout]), 2, 'reflect'));
  assert.equal(s2.shape, [1, 3, 3, cout]);
  assert.ok(maxRelativeError(s2.dataSync(), conv2dRef({ h, w, c: cin, data: x }, k3, [3, 3, cout], 2, [1, 1], [3, 3], 'reflect').data) < 1e-5);
  s2.dispose();
});

test("conv2dPadded 'same' stride 2 is TF SAME: even size pads 0 top/left and 1 bottom/right; odd pads 1/1", () => {
  const cin = 2;
  const cout = 2;
  const k3 = lcgValues(9 * cin * cout, 3);
  for (const [h, w] of [[8, 6], [5, 7]] as const) {
    const x = lcgValues(h * w * cin, 4 + h);
    const got = tf.tidy(() => conv2dPadded(tf.tensor4d(x, [1, h, w, cin]), tf.tensor4d(k3, [3, 3, cin, cout]), 2, 'same'));
    const oh = Math.ceil(h / 2);
    const ow = Math.ceil(w / 2);
    assert.equal(got.shape, [1, oh, ow, cout]);
    // Hand-derived: total pad = (out - 1) * 2 + 3 - in = 1 for even sizes (all at the bottom/right), 2 for odd (1 + 1).
    const top = h % 2 === 0 ? 0 : 1;
    const left = w % 2 === 0 ? 0 : 1;
    const want = conv2dRef({ h, w, c: cin, data: x }, k3, [3, 3, cout], 2, [top, left], [oh, ow], 'zero').data;
    assert.ok(maxRelativeError(got.dataSync(), want) < 1e-5, `${h}x${w}`);
    // The symmetric alternative (pad 1 top/left) differs, so the check has teeth.
    const wrong = conv2dRef({ h, w, c: cin, data: x }, k3, [3, 3, cout], 2, [1, 1], [oh, ow], 'zero').data;
    if (h % 2 === 0) assert.ok(maxRelativeError(got.dataSync(), wrong) > 1e-2);
    got.dispose();
  }
});

test('upsampleResizeConv: nearest 2x then conv; a 1x1 identity kernel shows 2x2 replication', () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const y = tf.tidy(() => upsampleResizeConv(x, tf.ones([1, 1, 1, 1]), 'reflect'));
  assert.equal(y.shape, [1, 4, 6, 1]);
  assert.equal(Array.from(y.dataSync()), [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6]);
  const z = tf.tidy(() => upsampleResizeConv(tf.zeros([2, 3, 5, 4]) as tf.Tensor4D, tf.zeros([3, 3, 4, 7]), 'reflect', tf.ones([7])));
  assert.equal(z.shape, [2, 6, 10, 7]);
  tf.dispose([x, y, z]);
});

test('upsampleTranspose is the adjoint of the stride-2 SAME conv: <T(y), x> = <y, C(x)>, output 2x', () => {
  // Kernel [3, 3, out=2, in=3] (TF conv2d_transpose layout) read as HWIO [3,3,2,3] for the forward conv.
  const [H, W, cOut, cIn] = [6, 8, 2, 3];
  const kernel = lcgValues(9 * cOut * cIn, 11);
  const x = lcgValues(H * W * cOut, 12);
  const y = lcgValues((H / 2) * (W / 2) * cIn, 13);
  const tY = tf.tidy(() => upsampleTranspose(tf.tensor4d(y, [1, H / 2, W / 2, cIn]), tf.tensor4d(kernel, [3, 3, cOut, cIn])));
  assert.equal(tY.shape, [1, H, W, cOut]);
  const cX = conv2dRef({ h: H, w: W, c: cOut, data: x }, kernel, [3, 3, cIn], 2, [0, 0], [H / 2, W / 2], 'zero').data;
  const left = Array.from(tY.dataSync()).reduce((s, v, i) => s + v * x[i]!, 0);
  const right = y.reduce((s, v, i) => s + v * cX[i]!, 0);
  assert.ok(Math.abs(left - right) < 1e-4 * Math.max(1, Math.abs(right)), `${left} vs ${right}`);
  tY.dispose();
});

test('runSteps: lean and tidy paths agree, until stops early, and no tensor leaks', () => {
  const steps: NetworkStep[] = [
    { name: 'a', run: (x) => tf.add(tf.mul(x, 2), 1) },
    { name: 'b', run: (x, input) => tf.sub(tf.square(x), input) },
    { name: 'c', run: (x) => tf.relu(x) },
  ];
  const x = tf.tensor4d([-2, -1, 0, 1], [1, 2, 2, 1]);
  const before = tf.memory().numTensors;
  for (let round = 0; round < 3; round++) {
    const tidy = runSteps(steps, x);
    const lean = runSteps(steps, x, { lean: true });
    const partial = runSteps(steps, x, { lean: true, until: 'a' });
    // (2x + 1)^2 - x, then ReLU: x = -2: 9 + 2 = 11; -1: 1 + 1 = 2; 0: 1; 1: 9 - 1 = 8.
    assert.equal(Array.from(tidy.dataSync()), [11, 2, 1, 8]);
    assert.equal(Array.from(lean.dataSync()), [11, 2, 1, 8]);
    assert.equal(Array.from(partial.dataSync()), [-3, -1, 1, 3]);
    tf.dispose([tidy, lean, partial]);
    assert.is(tf.memory().numTensors, before, `round ${round}`);
  }
  assert.throws(() => runSteps(steps, x, { until: 'zzz' }), /no step named 'zzz'/);
  x.dispose();
});

test.run();
