import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { randomVggWeights, VGG_CONVS, type VggWeights } from '../../src/networks/vgg.js';
import { readKerasVgg } from '../../src/weights/keras-vgg.js';
import { loadVggWeights } from '../../src/weights/vgg-weights.js';
import { rejectsWithCode } from '../helpers/option-errors.js';

const dir = mkdtempSync(join(tmpdir(), 'perceptual-keras-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

type Layout = 'published' | 'nested';

/**
 * Writes a Keras-style notop file: `published` is the layout of the files on
 * storage.googleapis.com (`/block1_conv1/block1_conv1_W_1:0`), `nested` the
 * one newer Keras saves (`/block1_conv1/block1_conv1/kernel:0`).
 */
async function writeKeras(name: string, weights: VggWeights, layout: Layout, mutate?: (file: InstanceType<typeof h5wasm.File>) => void): Promise<string> {
  await h5wasm.ready;
  const path = join(dir, name);
  const file = new h5wasm.File(path, 'w');
  for (const spec of VGG_CONVS[weights.network]) {
    const conv = weights.convs[spec.name];
    if (!conv) continue;
    const group = file.create_group(spec.kerasName);
    if (layout === 'published') {
      group.create_dataset({ name: `${spec.kerasName}_W_1:0`, data: conv.kernel, shape: [...conv.shape], dtype: '<f' });
      group.create_dataset({ name: `${spec.kerasName}_b_1:0`, data: conv.bias, shape: [conv.bias.length], dtype: '<f' });
    } else {
      const inner = group.create_group(spec.kerasName);
      inner.create_dataset({ name: 'kernel:0', data: conv.kernel, shape: [...conv.shape], dtype: '<f' });
      inner.create_dataset({ name: 'bias:0', data: conv.bias, shape: [conv.bias.length], dtype: '<f' });
    }
  }
  mutate?.(file);
  file.close();
  return path;
}

for (const layout of ['published', 'nested'] as const) {
  test(`reads the ${layout} layout with caffe preprocessing`, async () => {
    const original = randomVggWeights('vgg16', 21, { upTo: 'conv2_1' });
    const path = await writeKeras(`${layout}.h5`, original, layout);
    const loaded = await loadVggWeights(path);
    assert.is(loaded.network, 'vgg16');
    assert.is(loaded.preprocessing, 'caffe');
    assert.equal(Object.keys(loaded.convs), ['conv1_1', 'conv1_2', 'conv2_1']);
    for (const name of Object.keys(loaded.convs)) {
      assert.equal(Array.from(loaded.convs[name]!.kernel), Array.from(original.convs[name]!.kernel), name);
      assert.equal(Array.from(loaded.convs[name]!.bias), Array.from(original.convs[name]!.bias), name);
    }
  });
}

test('infers vgg19 from block3_conv4', async () => {
  const path = await writeKeras('vgg19.h5', randomVggWeights('vgg19', 2, { upTo: 'conv3_4' }), 'published');
  const loaded = await readKerasVgg(path);
  assert.is(loaded.network, 'vgg19');
  assert.equal(loaded.convs.conv3_4!.shape, [3, 3, 256, 256]);
});

test('malformed HDF5 files fail with the file, the dataset and the shapes', async () => {
  const weights = randomVggWeights('vgg16', 8, { upTo: 'conv1_2' });
  const intPath = await writeKeras('int.h5', weights, 'nested', (file) => {
    const group = file.create_group('block2_conv1');
    group.create_dataset({ name: 'block2_conv1_W_1:0', data: new Int32Array(9 * 64 * 128), shape: [3, 3, 64, 128], dtype: '<i' });
    group.create_dataset({ name: 'block2_conv1_b_1:0', data: new Float32Array(128), shape: [128], dtype: '<f' });
  });
  await rejectsWithCode(loadVggWeights(intPath), 'E_WEIGHTS_FORMAT', /int\.h5: dataset \/block2_conv1\/block2_conv1_W_1:0 has dtype "<i", expected float32/);

  const shapePath = await writeKeras('shape.h5', weights, 'published', (file) => {
    const group = file.create_group('block2_conv1');
    group.create_dataset({ name: 'block2_conv1_W_1:0', data: new Float32Array(9 * 32 * 128), shape: [3, 3, 32, 128], dtype: '<f' });
    group.create_dataset({ name: 'block2_conv1_b_1:0', data: new Float32Array(128), shape: [128], dtype: '<f' });
  });
  await rejectsWithCode(loadVggWeights(shapePath), 'E_WEIGHTS_MISMATCH', /shape\.h5: block2_conv1 kernel dataset \/block2_conv1\/block2_conv1_W_1:0 has shape \[3,3,32,128\], expected \[3,3,64,128\]/);

  const noBias = await writeKeras('nobias.h5', weights, 'published', (file) => {
    file.create_group('block2_conv1').create_dataset({ name: 'kernel:0', data: new Float32Array(9 * 64 * 128), shape: [3, 3, 64, 128], dtype: '<f' });
  });
  await rejectsWithCode(loadVggWeights(noBias), 'E_WEIGHTS_MISMATCH', /nobias\.h5: group block2_conv1 has no bias dataset \(expected block2_conv1_b_1:0 or bias:0\)/);

  const gap = await writeKeras('gap.h5', { ...weights, convs: { conv1_2: weights.convs.conv1_2! } }, 'published');
  await rejectsWithCode(loadVggWeights(gap), 'E_WEIGHTS_MISMATCH', /gap\.h5: group block1_conv2 is present but block1_conv1 is missing/);

  const empty = await writeKeras('empty.h5', { ...weights, convs: {} }, 'published', (file) => void file.create_group('dense_1'));
  await rejectsWithCode(loadVggWeights(empty), 'E_WEIGHTS_MISMATCH', /empty\.h5: no vgg16 layer groups found \(expected block1_conv1 \.\.\.; found dense_1\)/);

  const bytes = readFileSync(await writeKeras('full.h5', weights, 'published'));
  const truncated = join(dir, 'truncated.h5');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await rejectsWithCode(loadVggWeights(truncated), 'E_WEIGHTS_FORMAT', /truncated\.h5: .*(truncated|corrupt)/);
});

test.run();
