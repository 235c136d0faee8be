import { readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readImage, writeImage } from '../../src/data/image-io.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { TransformModel } from '../../src/types.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { cli, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let model: TransformModel;

test.before(async () => {
  await useBackend('cpu');
  tmp = await tempDir('stylize');
  // A tiny style network: 8/16/32 channels, one residual block.
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
  model = { arch, params: initParams(arch, 7), provenance: { source: 'test' } };
  await saveModel(tmp.path('model.safetensors'), model);
  const input = tf.tidy(() => tf.reshape(tf.div(tf.range(0, 10 * 13 * 3), 10 * 13 * 3), [1, 10, 13, 3])) as tf.Tensor4D;
  await writeImage(tmp.path('in.png'), input);
  input.dispose();
});

test.after(async () => {
  tf.dispose(Object.values(model.params));
  await tmp.remove();
});

test('stylize writes what the network computes, and reports backend and time', async () => {
  const run = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('out.png'), '--model', tmp.path('model.safetensors'), '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /^backend: cpu \(forced\b.*\)$/m);
  assert.match(run.stderr, /wrote .*out\.png \(13x10 png\) in \d+\.\d\d s \(model load \d+\.\d\d s, transform \d+\.\d\d s\)/);
  // Independently: run the network here and round to 8 bits.
  const input = await readImage(tmp.path('in.png'));
  const expected = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(transform(model, input), 0, 1), 255)));
  const written = await readImage(tmp.path('out.png'));
  const actual = tf.tidy(() => tf.round(tf.mul(written, 255)));
  assert.equal(actual.shape, [1, 10, 13, 3]);
  const maxDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]!);
  // The CLI's lean forward may differ from the plain one by float rounding: at most one level.
  assert.ok(maxDiff <= 1, `max difference ${maxDiff} levels`);
  tf.dispose([input, expected, written, actual]);
});

test('one file with --workers 2: the workers share the image by row bands, same pixels as in-process', async () => {
  const input = tf.tidy(() => tf.reshape(tf.div(tf.range(0, 40 * 37 * 3), 40 * 37 * 3), [1, 40, 37, 3])) as tf.Tensor4D;
  await writeImage(tmp.path('tall.png'), input);
  input.dispose();
  const args = ['stylize', tmp.path('tall.png'), '--model', tmp.path('model.safetensors')];
  const banded = await cli([...args, '-o', tmp.path('tall-bands.png'), '--workers', '2']);
  assert.is(banded.code, 0, banded.stderr);
  assert.match(banded.stderr, /\(style, 2 wasm workers\)/);
  const alone = await cli([...args, '-o', tmp.path('tall-alone.png'), '--workers', '0', '--backend', 'wasm']);
  assert.is(alone.code, 0, alone.stderr);
  const [a, b] = await Promise.all(['tall-bands.png', 'tall-alone.png'].map((f) => sharp(tmp.path(f)).raw().toBuffer()));
  assert.is(a!.length, 40 * 37 * 3);
  let worst = 0;
  for (let i = 0; i < a!.length; i++) worst = Math.max(worst, Math.abs(a![i]! - b![i]!));
  assert.ok(worst <= 1, `${worst} levels between banded and in-process output`);
});

test('--format and --quality choose the encoder', async () => {
  const run = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('out.img'), '--format', 'jpeg', '--quality', '70', '--model', tmp.path('model.safetensors'), '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  assert.is((await sharp(tmp.path('out.img')).metadata()).format, 'jpeg');
});

test('stylize refuses to overwrite its input (exit 2) and leaves it intact', async () => {
  const before = await readFile(tmp.path('in.png'));
  const run = await cli(['stylize', tmp.path('in.png'), '-o', `${tmp.dir}/./in.png`, '--model', tmp.path('model.safetensors'), '--backend', 'cpu']);
  assert.is(run.code, 2);
  assert.match(run.stderr, /--output must be a different file from the input/);
  assert.equal(await readFile(tmp.path('in.png')), before);
});

test('missing input, missing model, bad extension, non-image input', async () => {
  const model = tmp.path('model.safetensors');
  const missingInput = await cli(['stylize', tmp.path('nope.png'), '-o', tmp.path('o.png'), '--model', model, '--backend', 'cpu']);
  assert.is(missingInput.code, 3);
  assert.match(missingInput.stderr, /E_IO: Cannot read image file '.*nope\.png'/);
  const missingModel = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('o.png'), '--model', tmp.path('none.safetensors'), '--backend', 'cpu']);
  assert.is(missingModel.code, 3);
  assert.match(missingModel.stderr, /none\.safetensors/);
  const badExtension = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('o.bmp'), '--model', model, '--backend', 'cpu']);
  assert.is(badExtension.code, 2);
  assert.match(badExtension.stderr, /extension of '.*o\.bmp' must be one of \.png/);
  await writeFile(tmp.path('text.png'), 'hello');
  const notImage = await cli(['stylize', tmp.path('text.png'), '-o', tmp.path('o.png'), '--model', model, '--backend', 'cpu']);
  assert.is(notImage.code, 3);
  assert.match(notImage.stderr, /E_IMAGE_DECODE: Cannot decode image '.*text\.png'/);
});

test('numTensors stays flat across repeated stylize runs', async () => {
  const argv = ['stylize', tmp.path('in.png'), '-o', tmp.path('again.png'), '--model', tmp.path('model.safetensors'), '--backend', 'cpu'];
  await cli(argv);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i += 1) assert.is((await cli(argv)).code, 0);
  assert.is(tf.memory().numTensors, before);
});

test.run();
