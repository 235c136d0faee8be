import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, tempDir } from './helpers.js';

const VGG16_FILE = 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';
let tmp: Awaited<ReturnType<typeof tempDir>>;

test.before(async () => {
  tmp = await tempDir('weights');
});

test.after(async () => {
  await tmp.remove();
});

test('weights path prints the cache location, from --cache-dir or PERCEPTUAL_CACHE_DIR', async () => {
  const explicit = await cli(['weights', 'path', 'vgg16', '--cache-dir', tmp.dir]);
  assert.is(explicit.code, 0, explicit.stderr);
  assert.is(explicit.stdout, `${join(tmp.dir, VGG16_FILE)}\n`);
  assert.match(explicit.stderr, /not downloaded yet: run `perceptual weights fetch vgg16`/);
  const fromEnv = await cli(['weights', 'path', 'vgg19'], { env: { PERCEPTUAL_CACHE_DIR: tmp.dir } });
  assert.is(fromEnv.stdout, `${join(tmp.dir, 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5')}\n`);
  await writeFile(join(tmp.dir, VGG16_FILE), 'x');
  const present = await cli(['weights', 'path', 'vgg16', '--cache-dir', tmp.dir]);
  assert.match(present.stderr, /^present$/m);
});

test('weights rejects an unknown network (exit 2)', async () => {
  const run = await cli(['weights', 'path', 'vgg11']);
  assert.is(run.code, 2);
  assert.match(run.stderr, /value 'vgg11' is invalid for argument 'network'\. Allowed choices are vgg16, vgg19/);
});

test('compare without --weights and nothing cached says how to get weights (exit 3)', async () => {
  const empty = join(tmp.dir, 'empty-cache');
  const run = await cli(['compare', 'a.png', 'b.png', '--backend', 'cpu'], { env: { PERCEPTUAL_CACHE_DIR: empty } });
  assert.is(run.code, 3);
  assert.match(run.stderr, /No vgg16 weights given and none cached at '.*empty-cache.*'\. Run `perceptual weights fetch vgg16` or pass --weights FILE/);
});

test.run();
