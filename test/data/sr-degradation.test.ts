import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bicubicDownsample, bicubicSamplePosition, bicubicUpsample, cubicKernel } from '../../src/data/bicubic.js';
import { gaussianBlur, gaussianKernel1d } from '../../src/data/gaussian-blur.js';
import { degradeForSr } from '../../src/data/sr-degradation.js';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

test('Gaussian kernel: radius ceil(3 sigma), sums to 1, follows exp(-k^2/2s^2)', () => {
  const k = gaussianKernel1d(1.0);
  assert.is(k.length, 7);
  close(k.reduce((a, b) => a + b, 0), 1, 1e-6, 'sum');
  // Independent closed form: ratios to the centre tap are exp(-k^2/2).
  for (let i = -3; i <= 3; i++) close(k[i + 3]! / k[3]!, Math.exp(-(i * i) / 2), 1e-6, `tap ${i}`);
  const centre = 1 / [-3, -2, -1, 0, 1, 2, 3].reduce((a, i) => a + Math.exp(-(i * i) / 2), 0);
  close(k[3]!, centre, 1e-7, 'centre');
  assert.throws(() => gaussianKernel1d(0), /sigma must be a positive finite number/);
});

test('Gaussian blur keeps a constant image constant and a delta becomes the 2-D kernel', () => {
  const constant = { height: 9, width: 11, channels: 3, data: new Float32Array(9 * 11 * 3).fill(0.37) };
  for (const v of gaussianBlur(constant, 1).data) close(v, 0.37, 1e-6, 'constant');
  const delta = new Float32Array(9 * 9);
  delta[4 * 9 + 4] = 1;
  const out = gaussianBlur({ height: 9, width: 9, channels: 1, data: delta }, 1).data;
  const k = gaussianKernel1d(1);
  close(out[4 * 9 + 4]!, k[3]! * k[3]!, 1e-7, 'centre');
  close(out[2 * 9 + 5]!, k[1]! * k[4]!, 1e-7, 'off-centre (dy=-2, dx=+1)');
  close(out[0]!, 0, 1e-9, 'outside the radius');
});

test('Keys cubic kernel a=-0.5: interpolating, partition of unity at half-pixel offsets', () => {
  close(cubicKernel(0), 1, 0, 'W(0)');
  close(cubicKernel(1), 0, 1e-12, 'W(1)');
  close(cubicKernel(2), 0, 1e-12, 'W(2)');
  close(cubicKernel(0.5), 0.5625, 1e-12, 'W(0.5)');
  close(cubicKernel(1.5), -0.0625, 1e-12, 'W(1.5)');
  assert.is(bicubicSamplePosition(0, 4), 1.5);
  assert.is(bicubicSamplePosition(2, 2), 4.5);
});

test('bicubic downsampling: constant stays constant, a linear ramp is sampled at (i + 0.5) f - 0.5', () => {
  for (const f of [2, 4, 8]) {
    const h = 4 * f;
    const w = 6 * f;
    const constant = { height: h, width: w, channels: 3, data: new Float32Array(h * w * 3).fill(0.25) };
    const low = bicubicDownsample(constant, f);
    assert.is(low.height, 4);
    assert.is(low.width, 6);
    for (const v of low.data) close(v, 0.25, 1e-6, `constant f=${f}`);
    // ramp(x, y) = 0.01 x + 0.003 y: away from the clamped borders the cubic reproduces it exactly.
    const ramp = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ramp[y * w + x] = 0.01 * x + 0.003 * y;
    const r = bicubicDownsample({ height: h, width: w, channels: 1, data: ramp }, f);
    for (let j = 1; j < r.height - 1; j++) {
      for (let i = 1; i < r.width - 1; i++) {
        const expected = 0.01 * ((i + 0.5) * f - 0.5) + 0.003 * ((j + 0.5) * f - 0.5);
        close(r.data[j * r.width + i]!, expected, 1e-5, `ramp f=${f} (${i},${j})`);
      }
    }
  }
});

test('bicubic upsampling: constant stays constant, a linear ramp is sampled at (i + 0.5) / f - 0.5', () => {
  for (const f of [2, 4]) {
    const h = 5;
    const w = 7;
    const up = bicubicUpsample({ height: h, width: w, channels: 2, data: new Float32Array(h * w * 2).fill(0.7) }, f);
    assert.is(up.height, h * f);
    assert.is(up.width, w * f);
    for (const v of up.data) close(v, 0.7, 1e-6, `constant f=${f}`);
    const ramp = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ramp[y * w + x] = 0.02 * x - 0.01 * y;
    const r = bicubicUpsample({ height: h, width: w, channels: 1, data: ramp }, f);
    // Exact wherever all 4 taps lie inside the image (input coordinate in [1, n - 2]).
    for (let j = 0; j < r.height; j++) {
      for (let i = 0; i < r.width; i++) {
        const x = (i + 0.5) / f - 0.5;
        const y = (j + 0.5) / f - 0.5;
        if (x < 1 || y < 1 || x > w - 2 || y > h - 2) continue;
        close(r.data[j * r.width + i]!, 0.02 * x - 0.01 * y, 1e-5, `ramp f=${f} (${i},${j})`);
      }
    }
  }
});

test('degradeForSr: shape H/f, constant preserved, checks divisibility', () => {
  const hr = { shape: [2, 16, 24, 3] as [number, number, number, number], data: new Float32Array(2 * 16 * 24 * 3).fill(0.6) };
  const lr = degradeForSr(hr, 4);
  assert.equal(lr.shape, [2, 4, 6, 3]);
  for (const v of lr.data) close(v, 0.6, 1e-6, 'constant');
  assert.throws(() => degradeForSr({ shape: [1, 10, 12, 3], data: new Float32Array(360) }, 4), /multiple of the scale 4/);
});

test('degradeForSr equals blur then bicubic (second path through the plain functions)', () => {
  const data = new Float32Array(8 * 8 * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 101) / 100;
  const lr = degradeForSr({ shape: [1, 8, 8, 3], data }, 2);
  const ref = bicubicDownsample(gaussianBlur({ height: 8, width: 8, channels: 3, data }, 1), 2);
  for (let i = 0; i < ref.data.length; i++) close(lr.data[i]!, Math.min(1, Math.max(0, ref.data[i]!)), 0, `value ${i}`);
});

test.run();
