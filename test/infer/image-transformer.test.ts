/**
 * createStylizer / createUpscaler: every input kind answers in its own kind
 * with the network's pixels (checked against the network run directly,
 * test/serve/fixtures.ts referenceOutput), options act as documented,
 * progress is reported, and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStylizer, createUpscaler } from '../../src/infer/image-transformer.node.js';
import { useBackend } from '../helpers/backends.js';
import { serveFiles, syntheticMl5Checkpoint, underPrefix } from '../helpers/ml5-checkpoint-server.js';
import { decode, encode, maxDiff, type ModelFiles, referenceOutput, rejects, testImage, tinyModelFiles } from '../serve/fixtures.js';

let files: ModelFiles;

test.before(async () => {
  await useBackend('cpu');
  files = await tinyModelFiles();
});

test.after(async () => {
  await files.remove();
});

test('stylize: a path, file URL, bytes and Blob answer encoded images with the network\'s pixels; JPEG input answers JPEG unless format is given', async () => {
  const stylizer = await createStylizer({ model: files.style, backend: 'cpu' });
  try {
    const image = testImage(36, 28);
    const expected = await referenceOutput(files.style, image);
    const png = await encode(image);
    const path = join(files.style, '..', 'in.png');
    await writeFile(path, png);
    for (const input of [path, pathToFileURL(path), png, png.buffer, new Blob([png])]) {
      const out = await stylizer.stylize(input as Uint8Array);
      assert.ok(out instanceof Uint8Array);
      const decoded = await decode(out);
      assert.equal([decoded.width, decoded.height], [36, 28]);
      assert.ok(maxDiff(decoded.data, expected.data) <= 1, `${Object.prototype.toString.call(input)}: within one level of the network`);
      assert.equal([...out.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    }
    const jpeg = await stylizer.stylize(await encode(image, 'jpeg'));
    assert.equal([jpeg[0], jpeg[1]], [0xff, 0xd8], 'JPEG in, JPEG out');
    const webp = await stylizer.stylize(png, { format: 'webp' });
    assert.is(String.fromCharCode(...webp.subarray(8, 12)), 'WEBP');
  } finally {
    await stylizer.close();
  }
});

test('stylize: RGB pixels answer RGB pixels; RGBA keeps its alpha; tensors answer tensors; nothing leaks', async () => {
  const stylizer = await createStylizer({ model: files.style, backend: 'cpu' });
  try {
    const image = testImage(20, 16);
    const expected = await referenceOutput(files.style, image);
    const rgb = await stylizer.stylize(image);
    assert.ok(maxDiff(rgb.data as Uint8Array, expected.data) <= 1);
    assert.is(rgb.data.length, 20 * 16 * 3);
    const rgba = new Uint8ClampedArray(20 * 16 * 4);
    for (let p = 0; p < 20 * 16; p++) {
      rgba.set(image.data.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = p % 2 === 0 ? 255 : 0;
    }
    const out = await stylizer.stylize({ data: rgba, width: 20, height: 16 });
    assert.is(out.data.length, 20 * 16 * 4);
    for (let p = 0; p < 20 * 16; p++) assert.is(out.data[p * 4 + 3], p % 2 === 0 ? 255 : 0, `alpha of pixel ${p}`);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const input = tf.tensor3d(Float32Array.from(image.data, (v) => v / 255), [16, 20, 3]);
      const styled = await stylizer.stylize(input);
      assert.equal(styled.shape, [16, 20, 3]);
      assert.ok(Math.abs(styled.dataSync()[0]! * 255 - expected.data[0]!) <= 1);
      tf.dispose([input, styled]);
    }
    assert.is(tf.memory().numTensors, before, 'no tensor left behind by three calls');
  } finally {
    await stylizer.close();
  }
});

test('stylize: strength 0 returns the input; preserveColor keeps the input\'s chroma', async () => {
  const stylizer = await createStylizer({ model: files.style, backend: 'cpu' });
  try {
    const image = testImage(16, 16);
    assert.equal((await stylizer.stylize(image, { strength: 0 })).data, image.data);
    await rejects(stylizer.stylize(image, { strength: 2 }), /options\.strength must be a number from 0 to 1/);
    const kept = await stylizer.stylize(image, { preserveColor: true });
    // Chroma (B - Y) of the answer follows the input's, not the stylisation's.
    const chroma = (d: ArrayLike<number>, i: number) => d[i + 2]! - (0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!);
    // Pixels with a channel clamped at 0 or 255 cannot carry the old colour (preserve-color.ts); the rest must.
    let worst = 0;
    let checked = 0;
    for (let i = 0; i < image.data.length; i += 3) {
      if ([0, 1, 2].some((c) => kept.data[i + c] === 0 || kept.data[i + c] === 255)) continue;
      checked++;
      worst = Math.max(worst, Math.abs(chroma(kept.data, i) - chroma(image.data, i)));
    }
    assert.ok(checked > 64, `${checked} unclamped pixels`);
    assert.ok(worst <= 1.5, `chroma off by at most rounding (${worst})`);
  } finally {
    await stylizer.close();
  }
});

test('upscale: scale, progress over tiles, bytes from a bundled model name; a style model is refused', async () => {
  const upscaler = await createUpscaler({ model: files.sr, backend: 'cpu' });
  try {
    assert.is(upscaler.scale, 2);
    const image = testImage(40, 24);
    const expected = await referenceOutput(files.sr, image);
    const events: { done: number; total: number }[] = [];
    const out = await upscaler.upscale(image, { tile: 16, onProgress: (p) => events.push(p) });
    assert.equal([out.width, out.height], [80, 48]);
    assert.ok(maxDiff(out.data as Uint8Array, expected.data) <= 1, 'tiled SR equals the whole network');
    assert.ok(events.length > 1, `one event per tile (${events.length})`);
    assert.equal(events.map((e) => e.done), events.map((_, i) => i + 1));
    assert.ok(events.every((e) => e.total === events.length));
  } finally {
    await upscaler.close();
  }
  await rejects(createStylizer({ model: files.sr, backend: 'cpu' }), /options\.model must be a style model \(this one is for createUpscaler\)/);
  const named = await createUpscaler({ model: await readFile('models/sr-x4.safetensors'), backend: 'cpu' });
  try {
    assert.is(named.scale, 4);
  } finally {
    await named.close();
  }
  const byName = await createUpscaler({ model: 'sr-x4', backend: 'cpu' });
  await byName.close();
});

test('an ml5 checkpoint by folder URL gives the same pixels as the same checkpoint read from disk', async () => {
  const { files: ckpt } = syntheticMl5Checkpoint(3);
  const folder = join(files.style, '..', 'ml5');
  await mkdir(folder);
  for (const [name, body] of ckpt) await writeFile(join(folder, name), body);
  const server = await serveFiles(underPrefix(ckpt, '/ckpt/'));
  const fromUrl = await createStylizer({ model: `${server.base}/ckpt/`, backend: 'cpu' });
  const fromDisk = await createStylizer({ model: folder, backend: 'cpu' });
  try {
    const image = testImage(20, 16);
    const a = await fromUrl.stylize(image);
    const b = await fromDisk.stylize(image);
    assert.equal(a.data, b.data);
    assert.ok(server.requests.includes('/ckpt/manifest.json'));
    await rejects(createStylizer({ model: `${server.base}/ckpt/`, workers: 1 }), /options\.model must be a model on disk/);
  } finally {
    await Promise.all([fromUrl.close(), fromDisk.close(), server.close()]);
  }
});

test.run();
