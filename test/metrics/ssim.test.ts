import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gaussianWindow1d, lumaPlane, ssim, ssimMap } from '../../src/metrics/index.js';
import { bruteForceSsim, randomBytes } from './reference-ssim.js';

const C1 = (0.01 * 255) ** 2;

test('the window is the normalised Gaussian of 11 taps, sigma 1.5', () => {
  const w = gaussianWindow1d();
  assert.is(w.length, 11);
  assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-15);
  assert.ok(Math.abs(w[5]! / w[6]! - Math.exp(1 / 4.5)) < 1e-12);
});

test('identical images give SSIM 1', () => {
  const a = { width: 16, height: 13, channels: 3, data: randomBytes(16 * 13 * 3, 1) };
  assert.ok(Math.abs(ssim(a, a) - 1) < 1e-15);
  assert.ok(Math.abs(ssim(a, a, { channel: 'rgb' }) - 1) < 1e-15);
});

test('constant images: SSIM is (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1)', () => {
  for (const [u, v] of [[100, 110], [30, 200], [0, 255]] as const) {
    const a = { width: 12, height: 12, channels: 1, data: new Uint8Array(144).fill(u) };
    const b = { width: 12, height: 12, channels: 1, data: new Uint8Array(144).fill(v) };
    const expected = (2 * u * v + C1) / (u * u + v * v + C1);
    assert.ok(Math.abs(ssim(a, b, { channel: 'rgb' }) - expected) < 1e-9, `${u} ${v}`);
  }
});

test('matches a brute-force per-window SSIM on random images (Y and per channel)', () => {
  const w = 17;
  const h = 14;
  const a = { width: w, height: h, channels: 3, data: randomBytes(w * h * 3, 7) };
  // b: a plus structured noise, so SSIM is neither 1 nor ~0.
  const b = { width: w, height: h, channels: 3, data: Uint8Array.from(a.data, (v, i) => Math.min(255, Math.max(0, v + ((i * 37) % 61) - 30))) };
  const expectedY = bruteForceSsim(lumaPlane(a), lumaPlane(b), w, h);
  const got = ssim(a, b);
  assert.ok(Math.abs(got - expectedY) < 1e-10, `${got} vs ${expectedY}`);
  assert.ok(got > 0.1 && got < 0.99);
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    const plane = (img: typeof a) => Array.from({ length: w * h }, (_, i) => img.data[i * 3 + c]!);
    sum += bruteForceSsim(plane(a), plane(b), w, h);
  }
  assert.ok(Math.abs(ssim(a, b, { channel: 'rgb' }) - sum / 3) < 1e-10);
  // With a border crop of 1 the brute force sees the 15x12 centre.
  const crop = (plane: Float64Array) => Array.from({ length: 15 * 12 }, (_, i) => plane[(Math.floor(i / 15) + 1) * w + (i % 15) + 1]!);
  assert.ok(Math.abs(ssim(a, b, { border: 1 }) - bruteForceSsim(crop(lumaPlane(a)), crop(lumaPlane(b)), 15, 12)) < 1e-10);
});

test('the map covers the valid region only and small images are refused', () => {
  const plane = new Float64Array(15 * 12).fill(50);
  assert.is(ssimMap(plane, plane, 15, 12).length, 5 * 2);
  const a = { width: 12, height: 12, channels: 3, data: new Uint8Array(432) };
  assert.throws(() => ssim(a, a, { border: 1 }), /image size after the border crop must be at least 11x11.*smaller border \(received "10x10"\)/);
});

test.run();
