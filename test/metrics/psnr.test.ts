import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cropBorder, meanSquaredError, psnr, psnrFromMse, quantizeImage } from '../../src/metrics/index.js';

const image = (width: number, height: number, f: (x: number, y: number, c: number) => number) => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, channels: 3, data };
};

test('identical images give PSNR Infinity', () => {
  const a = image(8, 6, (x, y, c) => (x * 31 + y * 17 + c * 5) % 256);
  assert.is(psnr(a, a), Infinity);
  assert.is(psnr(a, a, { channel: 'rgb' }), Infinity);
  assert.is(psnrFromMse(0), Infinity);
});

test('a constant offset d gives 20 log10(255 / |d|) on RGB and 20 log10(255 / (219 d / 255)) on Y', () => {
  for (const d of [1, 3, -7, 40]) {
    const a = image(9, 7, (x, y, c) => 100 + ((x + 2 * y + c) % 50));
    const b = image(9, 7, (x, y, c) => 100 + ((x + 2 * y + c) % 50) + d);
    assert.ok(Math.abs(psnr(a, b, { channel: 'rgb' }) - 20 * Math.log10(255 / Math.abs(d))) < 1e-12);
    // Y moves by d (65.481 + 128.553 + 24.966) / 255 = 219 d / 255.
    assert.ok(Math.abs(psnr(a, b) - 20 * Math.log10(255 / ((219 * Math.abs(d)) / 255))) < 1e-9);
  }
});

test('a deterministic +-s pattern gives MSE s^2 exactly', () => {
  for (const s of [1, 5, 20]) {
    const a = image(10, 10, () => 128);
    const b = image(10, 10, (x, y) => 128 + ((x + y) % 2 === 0 ? s : -s));
    const planes = [Float64Array.from(a.data)];
    assert.is(meanSquaredError(planes, [Float64Array.from(b.data)]), s * s);
    assert.ok(Math.abs(psnr(a, b, { channel: 'rgb' }) - 10 * Math.log10((255 * 255) / (s * s))) < 1e-12);
  }
});

test('float images are quantised to 8 bits first (0.5 -> 128, out of range clamped)', () => {
  const f = { width: 2, height: 1, channels: 3, data: new Float32Array([0.5, 1.2, -0.1, 0.2, 0.999, 1]) };
  assert.equal([...quantizeImage(f).data], [128, 255, 0, 51, 255, 255]);
  const u = { width: 2, height: 1, channels: 3, data: new Uint8Array([128, 255, 0, 51, 255, 255]) };
  assert.is(psnr(f, u, { channel: 'rgb' }), Infinity);
});

test('the border crop removes `border` pixels from each side before measuring', () => {
  // b differs from a by 10 only on the outer 2-pixel frame of a 12x10 image.
  const a = image(12, 10, (x, y) => (x * 13 + y * 7) % 200);
  const inFrame = (x: number, y: number) => x < 2 || y < 2 || x >= 10 || y >= 8;
  const b = image(12, 10, (x, y) => ((x * 13 + y * 7) % 200) + (inFrame(x, y) ? 10 : 0));
  assert.is(psnr(a, b, { channel: 'rgb', border: 2 }), Infinity);
  const framePixels = 12 * 10 - 8 * 6;
  assert.ok(Math.abs(psnr(a, b, { channel: 'rgb' }) - 10 * Math.log10((255 * 255) / ((100 * framePixels) / 120))) < 1e-12);
  // border 1 keeps a 1-pixel ring of the frame: 10x8 minus the 8x6 interior.
  assert.ok(Math.abs(psnr(a, b, { channel: 'rgb', border: 1 }) - 10 * Math.log10((255 * 255) / ((100 * (80 - 48)) / 80))) < 1e-12);
  const cropped = cropBorder(a, 2);
  assert.is(cropped.width, 8);
  assert.is(cropped.height, 6);
  assert.is(cropped.data[0], a.data[(2 * 12 + 2) * 3]);
});

test('bad inputs fail with messages that say what to fix', () => {
  const a = image(4, 4, () => 0);
  assert.throws(() => psnr(a, image(5, 4, () => 0)), /same size, got 4x4x3 and 5x4x3.*Crop or resize/);
  assert.throws(() => psnr(a, a, { border: 2 }), /options.border must be smaller than half/);
  assert.throws(() => psnr(a, a, { border: -1 }), /options.border must be a non-negative integer/);
  assert.throws(() => psnr(a, a, { channel: 'xyz' as 'y' }), /options.channel must be one of y, rgb/);
  assert.throws(() => psnr({ ...a, data: new Uint8Array(3) }, a), /reference.data.length must be/);
});

test.run();
