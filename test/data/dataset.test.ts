import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planCrop } from '../../src/data/crop.js';
import { listImageFiles, openImageDataset } from '../../src/data/dataset.js';
import { Random } from '../../src/random.js';

let dir = '';

/** A w x h image whose red channel encodes x and green encodes y, so crops are recognisable. */
async function writeCoded(path: string, w: number, h: number, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<void> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    raw[(y * w + x) * 3] = x;
    raw[(y * w + x) * 3 + 1] = y;
    raw[(y * w + x) * 3 + 2] = 100;
  }
  const image = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  await (format === 'png' ? image.png() : format === 'jpeg' ? image.jpeg() : image.webp({ lossless: true })).toFile(path);
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perceptual-dataset-'));
  await mkdir(join(dir, 'sub'));
  await writeCoded(join(dir, 'a.png'), 40, 50);
  await writeCoded(join(dir, 'sub', 'b.webp'), 60, 40, 'webp');
  await writeCoded(join(dir, 'c.PNG'), 48, 48);
  await writeCoded(join(dir, 'tiny.png'), 8, 8);
  await writeFile(join(dir, 'corrupt.jpg'), Buffer.from('this is not a jpeg at all'));
  await writeFile(join(dir, 'notes.txt'), 'ignored');
  await mkdir(join(dir, 'empty'));
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('lists JPEG/PNG/WebP recursively, sorted, case-insensitive extensions', async () => {
  const files = await listImageFiles([dir]);
  assert.equal(files.map((f) => f.slice(dir.length + 1)), ['a.png', 'c.PNG', 'corrupt.jpg', 'sub/b.webp', 'tiny.png']);
});

test('skips the corrupt and the tiny file with one warning each; summary counts them', async () => {
  const warnings: string[] = [];
  const ds = await openImageDataset({ roots: dir, size: 16, batchSize: 2, seed: 1, warn: (m) => warnings.push(m) });
  assert.is(ds.summary.found, 5);
  assert.is(ds.summary.usable, 3);
  assert.is(ds.summary.skipped.length, 2);
  assert.is(warnings.length, 2);
  assert.match(warnings.join('\n'), /corrupt\.jpg: unreadable/);
  assert.match(warnings.join('\n'), /tiny\.png: too small \(8x8/);
  const batch = await ds.next();
  assert.equal(batch.shape, [2, 16, 16, 3]);
});

test('an empty folder is a clear E_DATASET error', async () => {
  try {
    await openImageDataset({ roots: join(dir, 'empty'), size: 16, batchSize: 1, seed: 1, warn: () => {} });
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_DATASET');
    assert.match((error as Error).message, /No usable images under .*empty \(0 image files found/);
  }
  try {
    await openImageDataset({ roots: join(dir, 'missing'), size: 16, batchSize: 1, seed: 1 });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /Cannot read the data folder .*missing/);
  }
});

test('crops are the planned pixels (red = x, green = y), flips mirror them', async () => {
  const ds = await openImageDataset({ roots: dir, size: 16, batchSize: 1, seed: 7, warn: () => {}, prefetch: 0 });
  let checked = 0;
  for (let item = 0; item < 9; item++) {
    const entry = ds.itemEntry(item);
    const plan = ds.itemCrop(item, entry);
    const batch = await ds.next();
    if (plan.resizeWidth !== entry.width) continue; // all three are lossless (PNG, lossless WebP) and large enough
    checked++;
    for (const [x, y] of [[0, 0], [5, 9], [15, 15]] as const) {
      const o = (y * 16 + x) * 3;
      const sx = plan.flip ? 15 - x : x;
      assert.is(Math.round(batch.data[o]! * 255), plan.left + sx, `red at (${x},${y}) of item ${item}`);
      assert.is(Math.round(batch.data[o + 1]! * 255), plan.top + y, `green at (${x},${y}) of item ${item}`);
      assert.is(Math.round(batch.data[o + 2]! * 255), 100);
    }
  }
  assert.is(checked, 9);
});

test('fixed crop sets: crop k of an image comes back every K epochs with its cached 8-bit paired target, computed once', async () => {
  const calls: number[] = [];
  // The target swaps red and green, so each target pixel names the crop pixel it belongs to.
  const pairedTarget = async (crop: Float32Array) => {
    calls.push(crop.length);
    const out = new Float32Array(crop.length);
    for (let i = 0; i < crop.length; i += 3) [out[i], out[i + 1], out[i + 2]] = [crop[i + 1]!, crop[i]!, 1 - crop[i + 2]!];
    return out;
  };
  const ds = await openImageDataset({ roots: dir, size: 16, batchSize: 3, seed: 9, warn: () => {}, prefetch: 0, cropsPerImage: 2, pairedTarget });
  const seen = new Map<string, string>();
  for (let epoch = 0; epoch < 6; epoch++) {
    const batch = await ds.next(); // 3 usable images, batch 3: one batch per epoch
    assert.ok(batch.target !== undefined);
    for (let b = 0; b < 3; b++) {
      const item = epoch * 3 + b;
      const entry = ds.itemEntry(item);
      const plan = ds.itemCrop(item, entry);
      const key = `${entry.path}#${epoch % 2}`;
      const where = JSON.stringify([plan.left, plan.top, plan.flip]);
      if (seen.has(key)) assert.is(where, seen.get(key), `${key} is the same crop every other epoch`);
      seen.set(key, where);
      const o = b * 16 * 16 * 3;
      for (let i = o; i < o + 16 * 16 * 3; i += 3) {
        assert.is(batch.target[i], Math.fround(Math.round(batch.data[i + 1]! * 255) / 255));
        assert.is(batch.target[i + 1], Math.fround(Math.round(batch.data[i]! * 255) / 255));
      }
    }
  }
  assert.is(seen.size, 6, 'two crops for each of the three images');
  assert.is(calls.length, 6, 'the target of each fixed crop was computed once over six epochs');
  try {
    await openImageDataset({ roots: dir, size: 16, batchSize: 1, seed: 1, cropsPerImage: -1 });
    assert.unreachable('cropsPerImage -1 was accepted');
  } catch (error) {
    assert.match((error as Error).message, /options\.cropsPerImage must be a non-negative integer/);
  }
});

test('planCrop: deterministic for a seed, in bounds, resizes the short side up', () => {
  const a = Array.from({ length: 20 }, (_, i) => planCrop(100, 60, 32, new Random(i), true));
  const b = Array.from({ length: 20 }, (_, i) => planCrop(100, 60, 32, new Random(i), true));
  assert.equal(a, b);
  for (const p of a) assert.ok(p.left >= 0 && p.left + 32 <= 100 && p.top >= 0 && p.top + 32 <= 60);
  assert.ok(a.some((p) => p.flip) && a.some((p) => !p.flip), 'both flips occur in 20 draws');
  assert.ok(a.every((p) => !planCrop(100, 60, 32, new Random(0), false).flip));
  const small = planCrop(20, 10, 32, new Random(3), false);
  assert.is(small.resizeHeight, 32);
  assert.is(small.resizeWidth, 64);
});

test('same seed gives the same batches; resuming from a saved state continues exactly', async () => {
  const open = (state?: { seed: number; position: number }) =>
    openImageDataset({ roots: dir, size: 16, batchSize: 2, seed: 42, warn: () => {}, state });
  const straight = await open();
  const batches = [];
  for (let i = 0; i < 5; i++) batches.push(await straight.next());
  const first = await open();
  await first.next();
  await first.next();
  const state = first.getState();
  assert.equal(state, { seed: 42, position: 4 });
  const resumed = await open(state);
  for (let i = 2; i < 5; i++) assert.equal(Array.from((await resumed.next()).data), Array.from(batches[i]!.data), `batch ${i}`);
  const other = await openImageDataset({ roots: dir, size: 16, batchSize: 2, seed: 43, warn: () => {} });
  assert.not.equal(Array.from((await other.next()).data), Array.from(batches[0]!.data));
});

test('every usable image appears once per epoch', async () => {
  const ds = await openImageDataset({ roots: dir, size: 16, batchSize: 1, seed: 5, warn: () => {} });
  for (let epoch = 0; epoch < 3; epoch++) {
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) seen.add(ds.itemEntry(epoch * 3 + i).path);
    assert.is(seen.size, 3, `epoch ${epoch}`);
  }
});

test.run();
