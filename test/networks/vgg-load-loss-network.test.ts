import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLossNetwork } from '../../src/networks/load-loss-network.js';
import { randomVggWeights, VGG_CONVS } from '../../src/networks/vgg.js';
import { serializeSafetensors, type SafetensorsInput } from '../../src/weights/safetensors.js';
import { useBackend } from '../helpers/backends.js';

const dir = mkdtempSync(join(tmpdir(), 'perceptual-load-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('vgg without weights or seed tells the user how to get weights', async () => {
  try {
    await loadLossNetwork({ network: 'vgg16', cacheDir: join(dir, 'empty') });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /No vgg16 weights: .*vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5 does not exist\. Run `perceptual weights fetch vgg16` or pass --weights/);
  }
  await loadLossNetwork({ network: 'vgg16', seed: 1, taps: ['relu9_1'] }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /taps must be vgg16 layers/));
  await loadLossNetwork({ network: 'layers' }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /pass --weights <folder with model.json>/));
});

test('random weights with taps build only up to the deepest tap; a weights file is loaded', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const net = await loadLossNetwork({ network: 'vgg16', seed: 3, taps: ['relu2_1', 'relu1_2'] });
  assert.is(net.source, 'random(3)');
  assert.is(net.taps[net.taps.length - 1], 'relu2_1');
  assert.is(tf.memory().numTensors - before, 6);
  net.dispose();

  const weights = randomVggWeights('vgg16', 4, { upTo: 'conv1_2' });
  const tensors: Record<string, SafetensorsInput> = {};
  for (const spec of VGG_CONVS.vgg16.slice(0, 2)) {
    const conv = weights.convs[spec.name]!;
    tensors[`features.${spec.index}.weight`] = { shape: [conv.shape[3], conv.shape[2], 3, 3], data: conv.kernel };
    tensors[`features.${spec.index}.bias`] = { shape: [conv.bias.length], data: conv.bias };
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'w.safetensors');
  writeFileSync(path, serializeSafetensors(tensors));
  const fromFile = await loadLossNetwork({ network: 'vgg16', weights: path, taps: ['relu1_2'] });
  assert.is(fromFile.source, path);
  assert.equal(fromFile.taps, ['conv1_1', 'relu1_1', 'conv1_2', 'relu1_2']);
  fromFile.dispose();
});

test.run();
