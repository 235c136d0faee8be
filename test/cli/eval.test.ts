import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bicubicUpscale } from '../../src/metrics/index.js';
import { resolveSrArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { TransformModel } from '../../src/types.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { bruteForceSsim, randomBytes, yOf } from '../metrics/reference-ssim.js';
import { cli, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let model: TransformModel;
const HR = 16;
const LR = 8;
const pattern = { hr: randomBytes(HR * HR * 3, 3), lr: randomBytes(LR * LR * 3, 4) };

const png = (path: string, data: Uint8Array, size: number) => sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path);

test.before(async () => {
  await useBackend('cpu');
  tmp = await tempDir('eval');
  await mkdir(tmp.path('hr'));
  await mkdir(tmp.path('lr'));
  const flat = (n: number) => Uint8Array.from({ length: n * n * 3 }, (_, i) => [100, 150, 200][i % 3]!);
  await png(tmp.path('hr/flat.png'), flat(HR), HR);
  await png(tmp.path('lr/flat.png'), flat(LR), LR);
  await png(tmp.path('hr/pattern.png'), pattern.hr, HR);
  await png(tmp.path('lr/pattern.png'), pattern.lr, LR);
  const arch = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 });
  model = { arch, params: initParams(arch, 11), provenance: { source: 'test' } };
  await saveModel(tmp.path('sr.safetensors'), model);
});

test.after(async () => {
  tf.dispose(Object.values(model.params));
  await tmp.remove();
});

/** PSNR-Y, SSIM-Y and PSNR-RGB with border 2, computed here from 8-bit RGB by plain loops. */
function expectedMetrics(hr: Uint8Array, test: Uint8Array): { psnrY: number; ssimY: number; psnrRgb: number } {
  const b = 2;
  const n = HR - 2 * b;
  const ya: number[] = [];
  const yb: number[] = [];
  let seY = 0;
  let seRgb = 0;
  for (let y = b; y < HR - b; y++) for (let x = b; x < HR - b; x++) {
    const o = (y * HR + x) * 3;
    const la = yOf(hr[o]!, hr[o + 1]!, hr[o + 2]!);
    const lb = yOf(test[o]!, test[o + 1]!, test[o + 2]!);
    ya.push(la);
    yb.push(lb);
    seY += (la - lb) ** 2;
    for (let c = 0; c < 3; c++) seRgb += (hr[o + c]! - test[o + c]!) ** 2;
  }
  return {
    psnrY: 10 * Math.log10((255 * 255) / (seY / (n * n))),
    ssimY: bruteForceSsim(ya, yb, n, n),
    psnrRgb: 10 * Math.log10((255 * 255) / (seRgb / (n * n * 3))),
  };
}

const toBytes = (data: ArrayLike<number>) => Uint8Array.from(data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));

test('eval sr --json: bicubic and model numbers equal an independent computation', async () => {
  const run = await cli(['eval', 'sr', '--hr', tmp.path('hr'), '--lr', tmp.path('lr'), '--model', tmp.path('sr.safetensors'), '--backend', 'cpu', '--json']);
  assert.is(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { scale: number; lrSource: string; rows: { image: string; model: Record<string, number | null>; bicubic: Record<string, number | null> }[]; mean: Record<string, Record<string, number | null>> };
  assert.is(result.scale, 2);
  assert.is(result.lrSource, 'files');
  assert.equal(result.rows.map((r) => r.image), ['flat.png', 'pattern.png']);
  // Bicubic of a constant image is exact: PSNR infinite (null in JSON), SSIM 1.
  const flat = result.rows[0]!;
  assert.is(flat.bicubic.psnrY, null);
  assert.is(flat.bicubic.psnrRgb, null);
  assert.ok(Math.abs(flat.bicubic.ssimY! - 1) < 1e-12);
  // The pattern, bicubic and model, from the 8-bit images by plain loops.
  const row = result.rows[1]!;
  const bicubic = toBytes(bicubicUpscale({ width: LR, height: LR, channels: 3, data: pattern.lr }, 2).data);
  const sr = toBytes(tf.tidy(() => transform(model, tf.tensor4d(Float32Array.from(pattern.lr, (v) => v / 255), [1, LR, LR, 3]))).dataSync());
  for (const [who, image] of [['bicubic', bicubic], ['model', sr]] as const) {
    const expected = expectedMetrics(pattern.hr, image);
    for (const key of ['psnrY', 'ssimY', 'psnrRgb'] as const) {
      assert.ok(Math.abs(row[who][key]! - expected[key]) < 1e-6, `${who} ${key}: ${row[who][key]} vs ${expected[key]}`);
    }
  }
  // Means: the flat image's infinite PSNR makes the mean PSNR infinite; SSIM averages.
  assert.is(result.mean.bicubic!.psnrY, null);
  assert.ok(Math.abs(result.mean.bicubic!.ssimY! - (1 + row.bicubic.ssimY!) / 2) < 1e-12);
});

test('eval sr text and CSV tables; --out saves the upscaled images', async () => {
  const text = await cli(['eval', 'sr', '--hr', tmp.path('hr'), '--lr', tmp.path('lr'), '--scale', '2', '--backend', 'cpu', '--out', tmp.path('out')]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^image\s+bicubic PSNR-Y\s+bicubic SSIM-Y\s+bicubic PSNR-RGB\s+bicubic SSIM-RGB$/m);
  assert.match(text.stdout, /^flat\.png\s+inf\s+1\.0000\s+inf\s+1\.0000$/m);
  assert.match(text.stdout, /^mean\s+inf\s+0\.\d{4}/m);
  assert.not.match(text.stdout, /model/);
  assert.equal((await readdir(tmp.path('out/bicubic'))).sort(), ['flat.png', 'pattern.png']);
  const csv = await cli(['eval', 'sr', '--hr', tmp.path('hr'), '--lr', tmp.path('lr'), '--model', tmp.path('sr.safetensors'), '--backend', 'cpu', '--csv']);
  assert.is(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.is(lines[0], 'image,model_psnr_y,model_ssim_y,model_psnr_rgb,model_ssim_rgb,bicubic_psnr_y,bicubic_ssim_y,bicubic_psnr_rgb,bicubic_ssim_rgb');
  assert.is(lines.length, 4);
  assert.match(lines[1]!, /^flat\.png,.*,inf,1,inf,1$/);
  assert.match(lines[3]!, /^mean,/);
});

test('eval sr without --lr degrades the HR images (a flat image stays exact)', async () => {
  const run = await cli(['eval', 'sr', '--hr', tmp.path('hr'), '--scale', '2', '--backend', 'cpu', '--json']);
  assert.is(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { lrSource: string; rows: { bicubic: { psnrY: number | null } }[] };
  assert.is(result.lrSource, 'degradation');
  assert.is(result.rows[0]!.bicubic.psnrY, null);
  assert.type(result.rows[1]!.bicubic.psnrY, 'number');
});

test('eval sr errors name the option and how to fix it', async () => {
  const noScale = await cli(['eval', 'sr', '--hr', tmp.path('hr'), '--backend', 'cpu']);
  assert.is.not(noScale.code, 0);
  assert.match(noScale.stderr, /options\.scale must be given \(2, 4 or 8\) when no model is/);
  const wrongScale = await cli(['eval', 'sr', '--hr', tmp.path('hr'), '--lr', tmp.path('lr'), '--scale', '4', '--backend', 'cpu']);
  assert.match(wrongScale.stderr, /LR image .*flat\.png' is 8x8 but its HR image 'flat\.png' is 16x16.*Check --scale/);
  const both = await cli(['eval', 'sr', '--hr', tmp.path('hr'), '--scale', '2', '--json', '--csv']);
  assert.match(both.stderr, /--json must be left out when --csv is given/);
});

test('eval style: identical outputs have content loss 0; style loss matches the loss of the pair', async () => {
  await mkdir(tmp.path('content'));
  const img = randomBytes(16 * 16 * 3, 9);
  await png(tmp.path('content/a.png'), img, 16);
  await writeFile(tmp.path('style.png'), await sharp(randomBytes(16 * 16 * 3, 10), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer());
  const args = ['eval', 'style', '--content', tmp.path('content'), '--style', tmp.path('content/a.png'), '--outputs', tmp.path('content'), '--seed', '1', '--style-layers', 'relu1_2', '--backend', 'cpu', '--json'];
  const same = await cli(args);
  assert.is(same.code, 0, same.stderr);
  const r = JSON.parse(same.stdout) as { rows: { content: number; styleTotal: number; feature: Record<string, number> }[] };
  assert.is(r.rows[0]!.content, 0);
  assert.is(r.rows[0]!.styleTotal, 0);
  assert.equal(Object.keys(r.rows[0]!.feature), ['relu2_2']);
  const other = await cli([...args.slice(0, 5), tmp.path('style.png'), ...args.slice(6)]);
  assert.is(other.code, 0, other.stderr);
  const o = JSON.parse(other.stdout) as { rows: { content: number; styleTotal: number }[] };
  assert.is(o.rows[0]!.content, 0);
  assert.ok(o.rows[0]!.styleTotal > 0);
  // `compare` computes the same style term for the pair (style image as target A).
  const compare = await cli(['compare', tmp.path('style.png'), tmp.path('content/a.png'), '--seed', '1', '--style-layers', 'relu1_2', '--backend', 'cpu', '--json']);
  const c = JSON.parse(compare.stdout) as { style: Record<string, number> };
  assert.ok(Math.abs(c.style.relu1_2! - o.rows[0]!.styleTotal) <= 1e-6 * c.style.relu1_2!);
  const neither = await cli(['eval', 'style', '--content', tmp.path('content'), '--style', tmp.path('style.png'), '--seed', '1']);
  assert.match(neither.stderr, /pass --outputs DIR or --model FILE/);
});

test.run();
