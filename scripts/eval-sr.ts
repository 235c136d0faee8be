/**
 * @file PSNR / SSIM of a super-resolution model on Set5 against bicubic
 * upsampling, with the usual SR conventions: luma Y of BT.601
 * (Y = 16 + 65.481 R + 128.553 G + 24.966 B, RGB in [0, 1]), images rounded to
 * 8 bits, a border of `scale` pixels cropped; SSIM with an 11x11 Gaussian
 * window (sigma 1.5), K1 = 0.01, K2 = 0.03, L = 255, over the valid region.
 *
 * Two LR inputs per image: the standard `LR_bicubic_x4` files (MATLAB imresize,
 * no extra blur) and this project's training degradation (Gaussian blur
 * sigma 1 then bicubic, SPEC section 4) applied to the HR image.
 *
 * Usage: node --import tsx scripts/eval-sr.ts MODEL [SET5_DIR] [--backend wasm]
 */
import * as tf from '@tensorflow/tfjs-core';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { degradeForSr } from '../src/data/sr-degradation.js';
import { selectBackend } from '../src/runtime/index.js';
import { transform } from '../src/networks/transform.js';
import { loadModel } from '../src/weights/model-file.js';

interface Rgb { width: number; height: number; data: Float32Array } // HWC in [0, 1]

async function readRgb(path: string): Promise<Rgb> {
  const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
}

/** 8-bit rounding then BT.601 luma in [16, 235], with `border` pixels cropped. */
export function luma(image: Rgb, border: number): { width: number; height: number; y: Float64Array } {
  const w = image.width - 2 * border;
  const h = image.height - 2 * border;
  const y = new Float64Array(w * h);
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) {
    const o = ((j + border) * image.width + (i + border)) * 3;
    const q = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255;
    y[j * w + i] = 16 + 65.481 * q(image.data[o]!) + 128.553 * q(image.data[o + 1]!) + 24.966 * q(image.data[o + 2]!);
  }
  return { width: w, height: h, y };
}

export function psnr(a: Float64Array, b: Float64Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

export function ssim(a: Float64Array, b: Float64Array, width: number, height: number): number {
  const r = 5;
  const g: number[] = [];
  for (let k = -r; k <= r; k++) g.push(Math.exp(-(k * k) / (2 * 1.5 * 1.5)));
  const s = g.reduce((x, y) => x + y, 0);
  const w1 = g.map((v) => v / s);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let count = 0;
  for (let y = r; y < height - r; y++) for (let x = r; x < width - r; x++) {
    let ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
      const wt = w1[dy + r]! * w1[dx + r]!;
      const va = a[(y + dy) * width + x + dx]!;
      const vb = b[(y + dy) * width + x + dx]!;
      ma += wt * va; mb += wt * vb; saa += wt * va * va; sbb += wt * vb * vb; sab += wt * va * vb;
    }
    const va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
    total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
    count++;
  }
  return total / count;
}

async function bicubicUp(lr: Rgb, scale: number): Promise<Rgb> {
  const raw = Buffer.from(Uint8Array.from(lr.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  const { data, info } = await sharp(raw, { raw: { width: lr.width, height: lr.height, channels: 3 } })
    .resize(lr.width * scale, lr.height * scale, { kernel: 'cubic' }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
}

function runModel(model: Awaited<ReturnType<typeof loadModel>>, lr: Rgb): Rgb {
  const out = tf.tidy(() => transform(model, tf.tensor4d(lr.data, [1, lr.height, lr.width, 3]), { lean: true }));
  const data = out.dataSync() as Float32Array;
  const [, h, w] = out.shape;
  out.dispose();
  return { width: w, height: h, data };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const backendAt = args.indexOf('--backend');
  const backend = backendAt >= 0 ? args.splice(backendAt, 2)[1] : 'wasm';
  const [modelPath, set5 = new URL('../../shared/data/sr/Set5', import.meta.url).pathname] = args;
  await selectBackend({ backend });
  const model = await loadModel(modelPath!);
  if (model.arch.task !== 'sr') throw new Error(`${modelPath} is not an SR model`);
  const scale = model.arch.scale;
  const names = (await readdir(join(set5, 'HR'))).filter((n) => n.endsWith('.png')).sort();
  const rows: string[] = [];
  const sums: Record<string, number[]> = {};
  const add = (key: string, v: number) => (sums[key] ??= []).push(v);
  for (const name of names) {
    const hr = await readRgb(join(set5, 'HR', name));
    const hrY = luma(hr, scale);
    const inputs: [string, Rgb][] = [];
    if (scale === 4) inputs.push(['LR_bicubic_x4', await readRgb(join(set5, 'LR_bicubic_x4', name))]);
    const degraded = degradeForSr({ shape: [1, hr.height, hr.width, 3], data: hr.data }, scale);
    inputs.push(['blur+bicubic', { width: degraded.shape[2], height: degraded.shape[1], data: degraded.data }]);
    for (const [kind, lr] of inputs) {
      for (const [method, sr] of [['bicubic', await bicubicUp(lr, scale)], ['model', runModel(model, lr)]] as const) {
        const y = luma(sr, scale);
        const p = psnr(hrY.y, y.y);
        const s = ssim(hrY.y, y.y, y.width, y.height);
        add(`${kind} ${method} psnr`, p);
        add(`${kind} ${method} ssim`, s);
        rows.push(`| ${name} | ${kind} | ${method} | ${p.toFixed(2)} | ${s.toFixed(4)} |`);
      }
    }
  }
  console.log('| image | LR input | method | PSNR-Y (dB) | SSIM-Y |\n| --- | --- | --- | --- | --- |');
  console.log(rows.join('\n'));
  console.log('\nmeans:');
  for (const [key, values] of Object.entries(sums)) console.log(`${key}: ${(values.reduce((a, b) => a + b, 0) / values.length).toFixed(key.endsWith('psnr') ? 2 : 4)}`);
  // Self-check of the metrics: identical images give SSIM 1 and infinite PSNR.
  const probe = luma({ width: 16, height: 16, data: Float32Array.from({ length: 768 }, (_, i) => (i % 7) / 7) }, 0);
  if (ssim(probe.y, probe.y, 16, 16) !== 1 || psnr(probe.y, probe.y) !== Infinity) throw new Error('metric self-check failed');
}

await main();
