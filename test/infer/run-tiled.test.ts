import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { inferImage, resolveInferOptions } from '../../src/infer/infer-image.js';
import { inferImageWithStatistics } from '../../src/infer/statistics-options.js';
import { inferRegion } from '../../src/infer/infer-region.js';
import { receptiveRadius } from '../../src/infer/receptive-field.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import type { TransformArch, TransformModel } from '../../src/types.js';
import { useBackend } from '../helpers/backends.js';

function makeModel(arch: TransformArch, seed = 5): TransformModel {
  return { arch, params: initParams(arch, seed), provenance: {} };
}

/** A smooth pattern plus deterministic noise (an LCG), so tiles see varied content. */
function pattern(width: number, height: number, seed = 1): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const v = 128 + 70 * Math.sin((x * (c + 1)) / 11) * Math.cos(y / 13) + ((s >>> 16) % 40) - 20;
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data, width, height };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / sum);
}

const SMALL_STYLE = resolveStyleArch({ width: 0.25, residualBlocks: 1 });

test.before(async () => {
  await useBackend('wasm');
});

/** Tiled equals whole for an SR model: 8-bit output within 1 level, and a hand-cut region's centre within 1e-5 in float. */
async function checkTiledSr(model: TransformModel): Promise<void> {
  const f = model.arch.task === 'sr' ? model.arch.scale : 1;
  const image = pattern(48, 40);
  const whole = (await inferRegion(model, { image })).data as Float32Array;
  const tiled = await inferImage(model, image, { tiling: 'always', tile: 16, feather: 4 });
  const wholeBytes = (await inferRegion(model, { image, output: 'uint8' })).data as Uint8Array;
  let worst = 0;
  for (let i = 0; i < wholeBytes.length; i++) worst = Math.max(worst, Math.abs(tiled.data[i]! - wholeBytes[i]!));
  // Bytes may differ by 1 only where a float sits on a rounding boundary.
  assert.ok(worst <= 1, `max byte difference ${worst}`);
  assert.is(tiled.width, 48 * f);
  assert.is(tiled.height, 40 * f);
  // Float exactness: run one interior region by hand and compare its centre with the whole output.
  const r = receptiveRadius(model.arch);
  const x0 = 8, y0 = 8, w = 32, h = 24;
  const region = { data: new Uint8Array(w * h * 3), width: w, height: h };
  for (let y = 0; y < h; y++) region.data.set(image.data.subarray(((y0 + y) * 48 + x0) * 3, ((y0 + y) * 48 + x0 + w) * 3), y * w * 3);
  const part = (await inferRegion(model, { image: region })).data as Float32Array;
  let diff = 0;
  for (let y = r * f; y < (h - r) * f; y++) {
    for (let x = r * f; x < (w - r) * f; x++) {
      for (let c = 0; c < 3; c++) diff = Math.max(diff, Math.abs(part[(y * w * f + x) * 3 + c]! - whole[((y0 * f + y) * 48 * f + x0 * f + x) * 3 + c]!));
    }
  }
  assert.ok(r * 2 < h, 'region larger than its context');
  assert.ok(diff < 1e-5, `centre of a region equals the whole-image output (max diff ${diff})`);
}

test('tiled SR equals whole-image SR (float output within 1e-5) given overlap >= receptive radius', async () => {
  await checkTiledSr(makeModel(resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 })));
});

test('tiled equals whole for the x4 sub-pixel head with the bicubic skip; its radius covers what it reads', async () => {
  const model = makeModel(resolveSrArch({ scale: 4, upsample: 'shuffle', filters: 4, residualBlocks: 1 }));
  // c5 (2) + 2 res convs (2) + out c3 (1), and in parallel the bicubic skip (2): 5 in fact; 7 counted.
  assert.is(receptiveRadius(model.arch), 7);
  await checkTiledSr(model);
});

test('tiled style with whole-image statistics equals the whole image; per-tile statistics show seams', async () => {
  const model = makeModel(SMALL_STYLE);
  const image = pattern(128, 96);
  const whole = await inferImage(model, image, { tiling: 'never' });
  const shared = await inferImage(model, image, { tiling: 'always', tile: 64 });
  const naive = await inferImageWithStatistics(model, image, { tiling: 'always', tile: 64, normStats: 'per-tile' });
  const exact = psnr(whole.data, shared.data);
  const seams = psnr(whole.data, naive.data);
  console.log(`  128x96, tile 64: PSNR tiled (shared statistics) ${exact.toFixed(2)} dB, per-tile statistics ${seams.toFixed(2)} dB`);
  assert.ok(exact > 40, `shared statistics: ${exact} dB`);
  assert.ok(seams < exact, 'per-tile statistics are worse');
});

test('style radius counts the first and last kernels: 57 for 9x9 ends, 52 for 5x5 and 3x3; tiling such a model stays exact', async () => {
  assert.is(receptiveRadius(resolveStyleArch()), 57);
  // c5 (2) + d1 (1) + d2 (2) + 10 res convs at 1/4 (40) + u1 (4) + u2 (2) + out c3 (1)
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 1, c1Kernel: 5, outKernel: 3 });
  assert.is(receptiveRadius(resolveStyleArch({ c1Kernel: 5, outKernel: 3 })), 52);
  const model = makeModel(arch);
  const image = pattern(128, 96);
  const whole = await inferImage(model, image, { tiling: 'never' });
  const shared = await inferImage(model, image, { tiling: 'always', tile: 64 });
  const exact = psnr(whole.data, shared.data);
  assert.ok(exact > 40, `shared statistics: ${exact} dB`);
});

test('approximate (downscaled) statistics made exact layer by layer by refine passes', async () => {
  const model = makeModel(SMALL_STYLE);
  const image = pattern(96, 96);
  const whole = await inferImage(model, image, { tiling: 'never' });
  const mosaic = await inferImageWithStatistics(model, image, { tiling: 'always', tile: 48, statsSize: 48 });
  // width 0.25, 1 block: c1, d1, d2, res0 x2, u1, u2 = 7 norm layers.
  const refined = await inferImageWithStatistics(model, image, { tiling: 'always', tile: 48, statsSize: 48, refinePasses: 7 });
  const a = psnr(whole.data, mosaic.data);
  const b = psnr(whole.data, refined.data);
  console.log(`  96x96, tile 48, statistics from the image downscaled to 48x48: ${a.toFixed(2)} dB; after 7 refine passes: ${b.toFixed(2)} dB`);
  assert.ok(b > 40 && b > a, `refined ${b} dB vs mosaic ${a} dB`);
});

test('tf.memory().numTensors stays flat across repeated tiled and whole runs', async () => {
  const model = makeModel(SMALL_STYLE);
  const image = pattern(64, 48);
  await inferImage(model, image, { tiling: 'always', tile: 32 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) {
    await inferImageWithStatistics(model, image, { tiling: 'always', tile: 32, refinePasses: 1 });
    await inferImage(model, image, { tiling: 'never' });
  }
  assert.is(tf.memory().numTensors, before);
});

test('resolveInferOptions rejects bad options by name', async () => {
  const model = makeModel(SMALL_STYLE);
  const image = pattern(8, 8);
  try {
    await inferImage(model, image, { tile: 6 });
    assert.unreachable('should throw');
  } catch (error) {
    assert.match((error as Error).message, /options\.tile must be a multiple of 4 for this network \(received 6\)/);
  }
});

test('resolveInferOptions refuses tiles smaller than the overlap or the floor, naming the minimum', () => {
  // SMALL_STYLE's receptive radius 25 gives an overlap of 28: the 32 px style floor applies.
  assert.is(resolveInferOptions(SMALL_STYLE, { tile: 32 }).tile, 32);
  assert.throws(() => resolveInferOptions(SMALL_STYLE, { tile: 4 }), /options\.tile must be at least 32 input pixels for this network \(the smallest region worth a network call\).* \(received 4\)/);
  // The paper's network (overlap 60): tile 4 would compute 124^2 pixels for every 4^2 it keeps.
  const paper = resolveStyleArch({});
  assert.throws(() => resolveInferOptions(paper, { tile: 4 }), /options\.tile must be at least 60 input pixels for this network \(no smaller than its overlap, the 60 px of context a tile reads on each side\); .*Pass a tile of 60 or more \(--tile\)/);
  assert.throws(() => resolveInferOptions(paper, { tile: 48, overlap: 100 }), /must be at least 100 input pixels/);
  assert.is(resolveInferOptions(paper, { tile: 64 }).tile, 64);
  assert.is(resolveInferOptions(paper).tile, 320, 'the defaults pass');
  const sr = resolveSrArch({ scale: 4 });
  assert.throws(() => resolveInferOptions(sr, { tile: 8, overlap: 0 }), /at least 16 input pixels/);
  assert.is(resolveInferOptions(sr).tile, 128);
});

test.run();
