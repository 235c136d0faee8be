import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeImage, encodeImage, formatForPath, readImage, writeImage } from '../../src/data/image-io.js';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { useBackend } from '../helpers/backends.js';

/** Asserts that `run` rejects with a message matching `pattern`. */
async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

const W = 7;
const H = 5;

/** A pattern that uses many distinct byte values: (x * 37 + y * 11 + c * 101) mod 256. */
function pattern(width = W, height = H): Uint8Array {
  const bytes = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      for (let c = 0; c < 3; c += 1) bytes[(y * width + x) * 3 + c] = (x * 37 + y * 11 + c * 101) % 256;
    }
  }
  return bytes;
}

function patternTensor(width = W, height = H): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(pattern(width, height), (v) => v / 255), [1, height, width, 3]);
}

async function bytesOf(image: tf.Tensor4D): Promise<number[]> {
  return Array.from(await image.data(), (v) => Math.round(v * 255));
}

test.before(async () => {
  await useBackend('cpu');
});

test('PNG roundtrip is exact on 8-bit values', async () => {
  const image = patternTensor();
  const decoded = await decodeImage(await encodeImage(image, { format: 'png' }));
  assert.equal(decoded.shape, [1, H, W, 3]);
  assert.is(decoded.dtype, 'float32');
  assert.equal(await bytesOf(decoded), Array.from(pattern()));
  tf.dispose([image, decoded]);
});

test('encode clamps, rounds to nearest and maps NaN to 0', async () => {
  const values = [-0.5, 1.7, 0.5 / 255 + 1e-4, 0.5 / 255 - 1e-4, 128 / 255, Number.NaN];
  const image = tf.tensor4d(values, [1, 1, 2, 3]);
  const rgb = await tensorToRgb(image);
  assert.equal(Array.from(rgb.data), [0, 255, 1, 0, 128, 0]);
  const decoded = await decodeImage(await encodeImage(image));
  assert.equal(await bytesOf(decoded), [0, 255, 1, 0, 128, 0]);
  tf.dispose([image, decoded]);
});

test('JPEG and WebP roundtrips are close on a smooth image', async () => {
  const size = 32;
  const values = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const i = (y * size + x) * 3;
      values[i] = x / (size - 1);
      values[i + 1] = y / (size - 1);
      values[i + 2] = 0.5;
    }
  }
  const image = tf.tensor4d(values, [1, size, size, 3]);
  for (const format of ['jpeg', 'webp'] as const) {
    const bytes = await encodeImage(image, { format, quality: 95 });
    const decoded = await decodeImage(bytes);
    const error = tf.tidy(() => tf.max(tf.abs(tf.sub(decoded, image))).dataSync()[0] as number);
    assert.ok(error < 0.06, `${format} max error ${error}`);
    assert.ok(error > 0 || format === 'webp', 'a lossy codec should not be exact here');
    decoded.dispose();
  }
  image.dispose();
});

test('corrupt bytes give E_IMAGE_DECODE naming the source', async () => {
  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5, 6, 7, 8]);
  try {
    await decodeImage(bytes, 'broken.png');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_IMAGE_DECODE');
    assert.match((error as Error).message, /^Cannot decode image 'broken\.png': .+\. Pass a PNG, JPEG/);
  }
});

test('readImage of a missing file gives E_IO naming the path', async () => {
  try {
    await readImage('/nonexistent/perceptual/missing.png');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_IO');
    assert.match((error as Error).message, /Cannot read image file '\/nonexistent\/perceptual\/missing\.png'.*ENOENT/);
  }
});

test('grayscale becomes RGB with equal channels', async () => {
  const grey = [0, 128, 255, 10, 20, 30];
  const png = await sharp(Uint8Array.from(grey), { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer();
  const decoded = await decodeImage(png);
  assert.equal(decoded.shape, [1, 2, 3, 3]);
  assert.equal(await bytesOf(decoded), grey.flatMap((v) => [v, v, v]));
  decoded.dispose();
});

test('RGBA is composited over white', async () => {
  // Pixels: opaque red, transparent black, half-transparent black, opaque (10, 20, 30).
  const rgba = [255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128, 10, 20, 30, 255];
  const png = await sharp(Uint8Array.from(rgba), { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
  const decoded = await decodeImage(png);
  assert.equal(decoded.shape, [1, 2, 2, 3]);
  const half = 255 * (1 - 128 / 255); // 0 * a + 255 * (1 - a)
  assert.equal(await bytesOf(decoded), [255, 0, 0, 255, 255, 255, ...Array(3).fill(Math.round(half)), 10, 20, 30]);
  decoded.dispose();
});

test('16-bit PNG keeps 16-bit precision', async () => {
  const samples = Uint16Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 3001 + 7);
  const png = await sharp(samples, { raw: { width: 3, height: 2, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  const decoded = await decodeImage(png);
  const values = Array.from(await decoded.data(), (v) => Math.round(v * 65535));
  assert.equal(values, Array.from(samples));
  decoded.dispose();
});

test('EXIF orientation is applied', async () => {
  // 16 wide x 8 tall, left half red, right half blue; orientation 6 = rotate 90 degrees clockwise,
  // so the decoded image is 8 wide x 16 tall with red on top.
  const raw = new Uint8Array(16 * 8 * 3);
  for (let p = 0; p < 16 * 8; p += 1) raw.set(p % 16 < 8 ? [255, 0, 0] : [0, 0, 255], p * 3);
  const jpeg = await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  const decoded = await decodeImage(jpeg);
  assert.equal(decoded.shape, [1, 16, 8, 3]);
  const [top, bottom] = tf.tidy(() => [
    Array.from(tf.slice(decoded, [0, 1, 4, 0], [1, 1, 1, 3]).dataSync()),
    Array.from(tf.slice(decoded, [0, 14, 4, 0], [1, 1, 1, 3]).dataSync()),
  ]);
  assert.ok(top![0]! > 0.8 && top![2]! < 0.2, `top should be red, got ${top}`);
  assert.ok(bottom![0]! < 0.2 && bottom![2]! > 0.8, `bottom should be blue, got ${bottom}`);
  decoded.dispose();
});

test('writeImage infers the format from the extension and leaves no temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perceptual-image-io-'));
  try {
    const image = patternTensor();
    await writeImage(join(dir, 'a.png'), image);
    await writeImage(join(dir, 'b.JPG'), image, { quality: 80 });
    await writeImage(join(dir, 'c.webp'), image);
    assert.equal((await readdir(dir)).sort(), ['a.png', 'b.JPG', 'c.webp']);
    assert.is((await sharp(join(dir, 'b.JPG')).metadata()).format, 'jpeg');
    assert.is((await sharp(join(dir, 'c.webp')).metadata()).format, 'webp');
    const back = await readImage(join(dir, 'a.png'));
    assert.equal(await bytesOf(back), Array.from(pattern()));
    await rejects(() => writeImage(join(dir, 'd.bmp'), image), /extension of '.*d\.bmp' must be one of \.png, \.jpg, \.jpeg, \.webp/);
    await writeFile(join(dir, 'text.png'), 'not an image');
    await rejects(() => readImage(join(dir, 'text.png')), /Cannot decode image '.*text\.png'/);
    tf.dispose([image, back]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('option and shape errors', async () => {
  const batch2 = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
  await rejects(() => encodeImage(batch2), /Argument 'image' passed to 'encodeImage' must be rank 4 NHWC with batch 1 and 3 channels, got shape \[2,2,2,3\]/);
  const one = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  await rejects(() => encodeImage(one, { format: 'jpeg', quality: 0 }), /options\.quality must be an integer from 1 to 100 \(received 0\)/);
  await rejects(() => encodeImage(one, { format: 'gif' as 'png' }), /options\.format must be one of png, jpeg, webp/);
  assert.throws(() => imageToTensor(new Uint8Array(5), 2, 1, 3), /data\.length must be width \* height \* channels = 6 \(received 5\)/);
  assert.throws(() => imageToTensor(new Uint8Array(6), 2, 1, 5), /channels must be one of 1, 2, 3, 4/);
  assert.is(formatForPath('x/y.JPEG'), 'jpeg');
  tf.dispose([batch2, one]);
});

test('imageToTensor accepts ImageData-style RGBA without sharp', async () => {
  const rgba = new Uint8ClampedArray([0, 51, 102, 255, 200, 100, 0, 0]);
  const image = imageToTensor(rgba, 2, 1, 4);
  const values = Array.from(await image.data());
  const expected = [0, 0.2, 0.4, 1, 1, 1];
  values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `value ${i}: ${v}`));
  image.dispose();
});

test('numTensors stays flat across repeated decode/encode', async () => {
  const image = patternTensor();
  const png = await encodeImage(image);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i += 1) {
    const decoded = await decodeImage(png);
    await encodeImage(decoded, { format: 'jpeg' });
    decoded.dispose();
  }
  assert.is(tf.memory().numTensors, before);
  image.dispose();
});

test.run();
