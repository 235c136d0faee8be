import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { writeImage } from '../../src/data/image-io.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { cli, tempDir } from './helpers.js';

const SIZE = 16;
let tmp: Awaited<ReturnType<typeof tempDir>>;

/** 8-bit RGB test pattern; `seed` varies it. */
function pixels(seed: number, width = SIZE, height = SIZE): Uint8Array {
  const bytes = new Uint8Array(width * height * 3);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * (29 + seed * 6) + seed * 50 + ((i * i) % 7) * 13) % 256;
  return bytes;
}

async function writePattern(name: string, bytes: Uint8Array, width = SIZE, height = SIZE): Promise<string> {
  const image = tf.tensor4d(Float32Array.from(bytes, (v) => v / 255), [1, height, width, 3]);
  await writeImage(tmp.path(name), image);
  image.dispose();
  return tmp.path(name);
}

/** SPEC section 3 total variation of one H x W x 3 image, in plain loops. */
function totalVariation(bytes: Uint8Array, power: 1 | 2, width = SIZE, height = SIZE): number {
  const at = (y: number, x: number, c: number) => (bytes[(y * width + x) * 3 + c] as number) / 255;
  let sum = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      for (let c = 0; c < 3; c += 1) {
        if (x + 1 < width) sum += Math.abs(at(y, x + 1, c) - at(y, x, c)) ** power;
        if (y + 1 < height) sum += Math.abs(at(y + 1, x, c) - at(y, x, c)) ** power;
      }
    }
  }
  return sum / (3 * width * height);
}

function meanSquaredDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += (((a[i] as number) - (b[i] as number)) / 255) ** 2;
  return sum / a.length;
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

interface CompareJson {
  feature: Record<string, number>;
  style: Record<string, number>;
  pixel: number;
  tv: number;
  total: number;
}

test.before(async () => {
  await useBackend('cpu');
  tmp = await tempDir('compare');
});

test.after(async () => {
  await tmp.remove();
});

test('identical images: feature, style and pixel are 0; tv is that of B', async () => {
  const bytes = pixels(1);
  const a = await writePattern('a.png', bytes);
  const b = await writePattern('b.png', bytes);
  const run = await cli(['compare', a, b, '--seed', '3', '--json', '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /^backend: cpu/m);
  const result = JSON.parse(run.stdout) as CompareJson;
  assert.equal(Object.keys(result), ['feature', 'style', 'pixel', 'tv', 'total']);
  assert.equal(Object.keys(result.feature), ['relu2_2']);
  assert.equal(Object.keys(result.style), ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3']);
  for (const value of [...Object.values(result.feature), ...Object.values(result.style), result.pixel]) assert.is(value, 0);
  const tv = totalVariation(bytes, 2);
  close(result.tv, tv, 'tv');
  close(result.total, 0.01 * tv, 'total = default tvWeight 0.01 x tv');
});

test('different images: total is the weighted sum; pixel and tv match plain loops; chosen layers', async () => {
  const bytesA = pixels(1);
  const bytesB = pixels(2);
  const a = await writePattern('a.png', bytesA);
  const b = await writePattern('b.png', bytesB);
  const run = await cli([
    'compare', a, b, '--seed', '3', '--json', '--backend', 'cpu',
    '--content-layers', 'relu1_2,relu3_3', '--style-layers', 'relu2_2',
    '--content-weight', '0.5', '--style-weight', '2', '--pixel-weight', '4', '--tv-weight', '0.25', '--tv-power', '1',
  ]);
  assert.is(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout) as CompareJson;
  assert.equal(Object.keys(r.feature), ['relu1_2', 'relu3_3']);
  assert.equal(Object.keys(r.style), ['relu2_2']);
  assert.ok(r.feature.relu1_2! > 0 && r.feature.relu3_3! > 0 && r.style.relu2_2! > 0, run.stdout);
  close(r.pixel, meanSquaredDifference(bytesA, bytesB), 'pixel');
  close(r.tv, totalVariation(bytesB, 1), 'tv (power 1)');
  const expected = 0.5 * (r.feature.relu1_2! + r.feature.relu3_3!) + 2 * r.style.relu2_2! + 4 * r.pixel + 0.25 * r.tv;
  close(r.total, expected, 'total');
  // Swapping A and B changes the reference: tv is now that of A.
  const swapped = JSON.parse((await cli(['compare', b, a, '--seed', '3', '--json', '--backend', 'cpu', '--tv-power', '1', '--content-layers', 'relu1_1', '--style-layers', 'relu1_1'])).stdout) as CompareJson;
  close(swapped.tv, totalVariation(bytesA, 1), 'tv of the new B');
});

test('text output lists every component', async () => {
  const a = await writePattern('a.png', pixels(1));
  const run = await cli(['compare', a, a, '--seed', '1', '--backend', 'cpu', '--style-layers', 'relu1_2']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^feature relu2_2 +0\.0+$/m);
  assert.match(run.stdout, /^style {3}relu1_2 +0\.0+$/m);
  assert.match(run.stdout, /^pixel +0\.0+$/m);
  assert.match(run.stdout, /^tv \(power 2, of B\) +\d/m);
  assert.match(run.stdout, /^total \(weighted\) +\d/m);
});

test('errors: size mismatch (2), missing file (3), conflicting options (2), unknown layer (2)', async () => {
  const a = await writePattern('a.png', pixels(1));
  const small = await writePattern('small.png', pixels(1, 8, 12), 8, 12);
  const mismatch = await cli(['compare', a, small, '--seed', '1', '--backend', 'cpu']);
  assert.is(mismatch.code, 2);
  assert.match(mismatch.stderr, /Images must be the same size: A '.*a\.png' is 16x16, B '.*small\.png' is 8x12/);
  const missing = await cli(['compare', a, tmp.path('missing.png'), '--seed', '1', '--backend', 'cpu']);
  assert.is(missing.code, 3);
  assert.match(missing.stderr, /Cannot read image file '.*missing\.png'/);
  const conflict = await cli(['compare', a, a, '--seed', '1', '--weights', 'x.safetensors']);
  assert.is(conflict.code, 2);
  assert.match(conflict.stderr, /--seed must be left out when --weights is given/);
  const layer = await cli(['compare', a, a, '--seed', '1', '--backend', 'cpu', '--style-layers', 'relu9_9']);
  assert.is(layer.code, 2);
  assert.match(layer.stderr, /relu9_9/);
});

test('numTensors stays flat across repeated compares', async () => {
  const a = await writePattern('a.png', pixels(1));
  const b = await writePattern('b.png', pixels(2));
  const argv = ['compare', a, b, '--seed', '5', '--json', '--backend', 'cpu', '--style-layers', 'relu1_2', '--content-layers', 'relu1_2'];
  await cli(argv);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i += 1) assert.is((await cli(argv)).code, 0);
  assert.is(tf.memory().numTensors, before);
});

test('images smaller than the deepest tap needs: a clear E_TENSOR_SHAPE (exit 2) on every test backend, not NaN or a crash', async () => {
  const a = await writePattern('tiny-a.png', pixels(1, 7, 7), 7, 7);
  const b = await writePattern('tiny-b.png', pixels(2, 7, 7), 7, 7);
  for (const backend of TEST_BACKENDS) {
    const run = await cli(['compare', a, b, '--seed', '1', '--backend', backend, '--json']);
    assert.is(run.code, 2, run.stderr);
    assert.match(run.stderr, /E_TENSOR_SHAPE: Images must be at least 8x8 pixels for the vgg16 loss network at relu4_3 \(each 2x2 max pool before it halves the size\), but A '.*tiny-a\.png' and B '.*tiny-b\.png' are 7x7\. Compare larger images, or choose shallower --content-layers\/--style-layers/);
  }
  const shallow = await cli(['compare', a, b, '--seed', '1', '--backend', 'cpu', '--json', '--style-layers', 'relu1_2,relu3_3']);
  assert.is(shallow.code, 0, shallow.stderr);
  assert.type(JSON.parse(shallow.stdout).total, 'number');
});

test('--max-pixels: an image over the limit is refused naming its size, the limit and the flag', async () => {
  const a = await writePattern('a.png', pixels(1));
  const run = await cli(['compare', a, a, '--seed', '1', '--backend', 'cpu', '--max-pixels', '100']);
  assert.is(run.code, 3);
  assert.match(run.stderr, /it is 16x16 = 256 pixels, above the limit of 100 pixels\. Raise the limit with --max-pixels 256/);
});

test.run();
