import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readImage } from '../../src/data/image-io.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { TransformModel } from '../../src/types.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { cli, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let model: TransformModel;

async function writePng(path: string, width: number, height: number, seed: number): Promise<void> {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 29 + seed * 53) % 256;
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(path);
}

const size = async (path: string) => {
  const meta = await sharp(path).metadata();
  return [meta.width, meta.height];
};

test.before(async () => {
  await useBackend('cpu');
  tmp = await tempDir('upscale');
  const arch = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 });
  model = { arch, params: initParams(arch, 9), provenance: { source: 'test' } };
  await saveModel(tmp.path('sr.safetensors'), model);
  const style = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
  const styleModel: TransformModel = { arch: style, params: initParams(style, 1), provenance: {} };
  await saveModel(tmp.path('style.safetensors'), styleModel);
  tf.dispose(Object.values(styleModel.params));
  await mkdir(tmp.path('in'), { recursive: true });
  await writePng(tmp.path('in/a.png'), 7, 5, 1);
  await writePng(tmp.path('in/b.png'), 6, 6, 2);
});

test.after(async () => {
  tf.dispose(Object.values(model.params));
  await tmp.remove();
});

test('upscale doubles the size with a x2 model and writes what the network computes', async () => {
  const run = await cli(['upscale', tmp.path('in/a.png'), '-o', tmp.path('a2.png'), '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /wrote .*a2\.png \(14x10 png\)/);
  assert.equal(await size(tmp.path('a2.png')), [14, 10]);
  const input = await readImage(tmp.path('in/a.png'));
  const written = await readImage(tmp.path('a2.png'));
  const maxDiff = tf.tidy(() => {
    const expected = tf.round(tf.mul(tf.clipByValue(transform(model, input), 0, 1), 255));
    return tf.max(tf.abs(tf.sub(tf.round(tf.mul(written, 255)), expected))).dataSync()[0]!;
  });
  assert.ok(maxDiff <= 1, `max difference ${maxDiff} levels`);
  tf.dispose([input, written]);
});

test('--max-size downsizes before upscaling; --scale must match the model', async () => {
  const run = await cli(['upscale', tmp.path('in/b.png'), '-o', tmp.path('b-small.png'), '--max-size', '3', '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  assert.equal(await size(tmp.path('b-small.png')), [6, 6]);
  const wrong = await cli(['upscale', tmp.path('in/b.png'), '-o', tmp.path('b4.png'), '--scale', '4', '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(wrong.code, 2);
  assert.match(wrong.stderr, /--scale must be 2, the scale of the model .*sr\.safetensors \(or absent\) \(received 4\)/);
});

test('--tile/--overlap reach the pool: SR tiles are exact, a bad tile is refused', async () => {
  // 40x20 in tiles of 16 (the SR minimum): 3 x 2 tiles.
  await writePng(tmp.path('wide.png'), 40, 20, 3);
  const run = await cli(['upscale', tmp.path('wide.png'), '-o', tmp.path('a-tiled.png'), '--tile', '16', '--overlap', '4', '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  const whole = await cli(['upscale', tmp.path('wide.png'), '-o', tmp.path('a-whole.png'), '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(whole.code, 0, whole.stderr);
  const [a, b] = await Promise.all([tmp.path('a-tiled.png'), tmp.path('a-whole.png')].map((p) => sharp(p).raw().toBuffer()));
  let maxDiff = 0;
  for (let i = 0; i < a!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a![i]! - b![i]!));
  assert.ok(maxDiff <= 1, `tiled vs whole: ${maxDiff} levels`);
  const bad = await cli(['upscale', tmp.path('in/a.png'), '-o', tmp.path('x.png'), '--tile', '0', '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /options\.tile must be an integer >= 1 \(received 0\)/);
  const tiny = await cli(['upscale', tmp.path('in/a.png'), '-o', tmp.path('x.png'), '--tile', '4', '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(tiny.code, 2);
  assert.match(tiny.stderr, /options\.tile must be at least 16 input pixels for this network \(the smallest region worth a network call\); .*Pass a tile of 16 or more \(--tile\), or leave it out \(received 4\)/);
});

test('upscale refuses a style model (without --model it runs the bundled default: test/cli/models.test.ts)', async () => {
  const style = await cli(['upscale', tmp.path('in/a.png'), '-o', tmp.path('x.png'), '--model', tmp.path('style.safetensors'), '--backend', 'cpu']);
  assert.is(style.code, 2);
  assert.match(style.stderr, /--model must be a super-resolution model \(`perceptual stylize` runs style models\) \(received ".*style\.safetensors: a style model"\)/);
});

test('a folder through the worker pool (--workers 1): every image doubled, none over an input', async () => {
  await writeFile(tmp.path('in/broken.jpg'), 'not a jpeg');
  const run = await cli(['upscale', tmp.path('in'), '-o', tmp.path('out'), '--workers', '1', '--model', tmp.path('sr.safetensors')]);
  assert.is(run.code, 3, run.stderr);
  assert.match(run.stderr, /\(sr, 1 wasm worker\)/);
  assert.equal(await size(tmp.path('out/a.png')), [14, 10]);
  assert.equal(await size(tmp.path('out/b.png')), [12, 12]);
  assert.match(run.stderr, /upscale: wrote 2 of 3 .*\n1 failed:\n {2}.*broken\.jpg: E_IMAGE_DECODE/);
  // The workers run the same network (wasm): one 8-bit level of float noise at most.
  const serial = await cli(['upscale', tmp.path('in/a.png'), '-o', tmp.path('serial.png'), '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(serial.code, 0, serial.stderr);
  const [a, b] = await Promise.all([tmp.path('out/a.png'), tmp.path('serial.png')].map((p) => sharp(p).raw().toBuffer()));
  let maxDiff = 0;
  for (let i = 0; i < a!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a![i]! - b![i]!));
  assert.ok(maxDiff <= 1, `max difference ${maxDiff} levels between the worker and in-process outputs`);
});

test('an animated GIF upscales its first frame with a warning naming the frames; --max-pixels is named when an input exceeds it', async () => {
  const frames = await Promise.all([1, 2].map((seed) => sharp(Buffer.alloc(6 * 4 * 3, seed * 60), { raw: { width: 6, height: 4, channels: 3 } }).png().toBuffer()));
  await sharp(frames, { join: { animated: true } }).gif().toFile(tmp.path('anim.gif'));
  const run = await cli(['upscale', tmp.path('anim.gif'), '-o', tmp.path('anim-x2.png'), '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /warning: '.*anim\.gif' is an animated GIF with 2 frames; only its first frame is read/);
  assert.equal(await size(tmp.path('anim-x2.png')), [12, 8]);
  const limited = await cli(['upscale', tmp.path('in/a.png'), '-o', tmp.path('x.png'), '--max-pixels', '20', '--model', tmp.path('sr.safetensors'), '--backend', 'cpu']);
  assert.is(limited.code, 3);
  assert.match(limited.stderr, /E_IMAGE_DECODE: Cannot decode image '.*a\.png': it is 7x5 = 35 pixels, above the limit of 20 pixels\. Raise the limit with --max-pixels 35 \(options\.maxPixels\), or downsize the image first\./);
  assert.not.match(limited.stderr, /Pass a PNG/);
});

test.run();
