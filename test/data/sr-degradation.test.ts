import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bicubicDownsample, bicubicSamplePosition, bicubicUpsample, cubicKernel, imresizeDownsample } from '../../src/data/bicubic.js';
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

test('imresizeDownsample by 2, by hand: the 8 taps W(d / 2) / 2, normalised, edges replicated', () => {
  // Output i samples x = 2i + 0.5; taps at distances 0.5, 1.5, 2.5, 3.5 on each side, through
  // W(0.25) = 0.8671875, W(0.75) = 0.2265625, W(1.25) = -0.0703125, W(1.75) = -0.0234375 (sum 1 per side, 2 in all).
  const [w05, w15, w25, w35] = [0.43359375, 0.11328125, -0.03515625, -0.01171875];
  const delta = (at: number) => {
    const data = new Float32Array(2 * 8);
    data[at] = 1;
    data[8 + at] = 1; // both rows equal: the vertical pass leaves the row unchanged
    return imresizeDownsample({ height: 2, width: 8, channels: 1, data }, 2).data;
  };
  const mid = delta(3);
  assert.is(mid.length, 4);
  [w25, w05, w15, w35].forEach((v, i) => close(mid[i]!, v, 1e-7, `delta at 3, output ${i}`));
  // At column 0 the replicated taps x[-3..-1] = x[0] add theirs: all four of output 0 (x = 0.5), sum 0.5;
  // output 1 (x = 2.5) reaches j = -1 (distance 3.5) and j = 0 (2.5); outputs 2 and 3 do not reach column 0.
  const edge = delta(0);
  [w05 + w15 + w25 + w35, w25 + w35, 0, 0].forEach((v, i) => close(edge[i]!, v, 1e-7, `delta at 0, output ${i}`));
});

test("degradeForSr 'bicubic': constant kept, values on the 8-bit grid, unknown names rejected", () => {
  const data = new Float32Array(1 * 16 * 16 * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 101) / 100;
  const lr = degradeForSr({ shape: [1, 16, 16, 3], data }, 4, 'bicubic');
  assert.equal(lr.shape, [1, 4, 4, 3]);
  const ref = imresizeDownsample({ height: 16, width: 16, channels: 3, data }, 4);
  for (let i = 0; i < lr.data.length; i++) close(lr.data[i]!, Math.round(Math.min(1, Math.max(0, ref.data[i]!)) * 255) / 255, 1e-7, `value ${i}`);
  const flat = degradeForSr({ shape: [1, 8, 8, 3], data: new Float32Array(8 * 8 * 3).fill(100 / 255) }, 4, 'bicubic');
  for (const v of flat.data) close(v, 100 / 255, 1e-7, 'constant');
  assert.throws(() => degradeForSr({ shape: [1, 8, 8, 3], data: new Float32Array(192) }, 4, 'matlab' as never), /degradation \(--degradation\) must be one of blur-bicubic, bicubic/);
});

const SET5 = fileURLToPath(new URL('../../../shared/data/sr/Set5', import.meta.url));

test("degradeForSr 'bicubic' reproduces Set5's MATLAB LR_bicubic_x4 images", async () => {
  if (!existsSync(`${SET5}/LR_bicubic_x4`)) {
    console.log(`  SKIP: ${SET5} is absent (the Set5 check of the 'bicubic' degradation did not run)`);
    return;
  }
  const read = async (path: string) => {
    const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { height: info.height, width: info.width, data: Float32Array.from(data, (v) => v / 255) };
  };
  const report: string[] = [];
  for (const name of readdirSync(`${SET5}/HR`).filter((n) => n.endsWith('.png'))) {
    const hr = await read(`${SET5}/HR/${name}`);
    const lr = await read(`${SET5}/LR_bicubic_x4/${name}`);
    const ours = degradeForSr({ shape: [1, hr.height, hr.width, 3], data: hr.data }, 4, 'bicubic');
    assert.equal(ours.shape, [1, lr.height, lr.width, 3], name);
    let se = 0;
    let worst = 0;
    for (let i = 0; i < lr.data.length; i++) {
      const d = Math.abs(ours.data[i]! - lr.data[i]!) * 255;
      se += d * d;
      worst = Math.max(worst, d);
    }
    const psnr = 10 * Math.log10((255 * 255 * lr.data.length) / se);
    report.push(`${name} ${psnr.toFixed(2)} dB (max ${Math.round(worst)} level)`);
    // Measured 57.7-58.4 dB; PIL's antialiased bicubic (which drops out-of-range taps) gets 52.9.
    assert.ok(psnr > 55, `${name}: ${psnr.toFixed(2)} dB`);
    assert.ok(worst < 2.5, `${name}: a pixel differs by ${worst.toFixed(2)} levels`);
  }
  console.log(`  Set5 x4, 'bicubic' degradation vs the MATLAB files: ${report.join(', ')}`);
});

test.run();
