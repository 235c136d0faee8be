import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readImage, writeImage } from '../../src/data/image-io.js';
import { useBackend } from '../helpers/backends.js';
import { cli, tempDir } from './helpers.js';

let work: Awaited<ReturnType<typeof tempDir>>;
const tiny = ['--weights', 'random', '--content-layers', 'relu2_2'];
const darknet = fileURLToPath(new URL('../../../shared/data/darknet/darknettiny', import.meta.url));

test.before(async () => {
  await useBackend('cpu');
  work = await tempDir('optimize');
  const [a, b] = [tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 1), tf.randomUniform([1, 10, 10, 3], 0, 1, 'float32', 2)] as tf.Tensor4D[];
  await writeImage(work.path('content.png'), a);
  await writeImage(work.path('style.png'), b);
  tf.dispose([a, b]);
});

test.after(() => work.remove());

test('optimize style writes the output image and the snapshots, and reports the run', async () => {
  const out = work.path('out.png');
  const snaps = work.path('snaps');
  const r = await cli(['optimize', 'style', '--backend', 'wasm', '--content', work.path('content.png'), '--style', work.path('style.png'), '-o', out,
    ...tiny, '--style-layers', 'relu1_2,relu2_2', '--iterations', '2', '--snapshot-every', '1', '--snapshot-dir', snaps]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), out);
  assert.ok(existsSync(out));
  assert.equal(readdirSync(snaps).sort(), ['iter-000001.png', 'iter-000002.png']);
  assert.match(r.stderr, /optimized 8x8 on wasm with lbfgs: 2 iterations, \d+ evaluations in [\d.]+ s/);
  assert.match(r.stderr, /loss [\d.e+-]+ -> [\d.e+-]+/);
  const image = await readImage(out);
  assert.equal(image.shape, [1, 8, 8, 3]);
  image.dispose();
});

test('optimize sr with adam writes an image of the cropped target size', async () => {
  const out = work.path('sr.png');
  const r = await cli(['optimize', 'sr', '--backend', 'wasm', '--target', work.path('style.png'), '--scale', '4', '-o', out, ...tiny, '--optimizer', 'adam', '--iterations', '2']);
  assert.is(r.code, 0, r.stderr);
  const image = await readImage(out);
  assert.equal(image.shape, [1, 8, 8, 3]);
  image.dispose();
});

test('usage errors name the option', async () => {
  const missing = await cli(['optimize', 'style', '--backend', 'wasm', '--style', work.path('style.png'), '-o', work.path('x.png'), ...tiny]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /--content must be the path of the content image/);
  const clip = await cli(['optimize', 'style', '--backend', 'wasm', '--content', work.path('content.png'), '--style', work.path('style.png'), '-o', work.path('x.png'), ...tiny, '--bounds', 'clip', '--iterations', '1']);
  assert.is.not(clip.code, 0);
  assert.match(clip.stderr, /options\.bounds must be 'none' or 'sigmoid' with L-BFGS/);
  const snap = await cli(['optimize', 'sr', '--target', work.path('style.png'), '-o', work.path('x.png'), '--snapshot-every', '1']);
  assert.match(snap.stderr, /--snapshot-dir must be a folder when --snapshot-every is given/);
});

test('a layers loss network with a VGG layer name: the error names the flag and lists the model\'s layers', async () => {
  if (!existsSync(darknet)) {
    console.log(`skipped: ${darknet} is absent`);
    return;
  }
  const r = await cli(['optimize', 'style', '--backend', 'cpu', '--content', work.path('content.png'), '--style', work.path('style.png'), '-o', work.path('x.png'),
    '--loss-network', darknet, '--content-layers', 'relu2_2', '--style-layers', 'leaky_re_lu_1', '--iterations', '1']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /options\.contentLayers\[0\] must be one of conv2d_1, [^(]*leaky_re_lu_2, [^(]*global_average_pooling2d_1 \(received "relu2_2"\)/);
});

test.run();
