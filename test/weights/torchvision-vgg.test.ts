import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomVggWeights, VGG_CONVS, type VggWeights } from '../../src/networks/vgg.js';
import { serializeSafetensors, type SafetensorsInput } from '../../src/weights/safetensors.js';
import { oihwToHwio } from '../../src/weights/torchvision-vgg.js';
import { loadVggWeights } from '../../src/weights/vgg-weights.js';
import { rejectsWithCode } from '../helpers/option-errors.js';

const dir = mkdtempSync(join(tmpdir(), 'perceptual-torchvision-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('oihwToHwio: element [o,i,h,w] lands at [h,w,i,o]', () => {
  const [O, I, H, W] = [4, 3, 3, 2];
  const data = Float32Array.from({ length: O * I * H * W }, (_, k) => k);
  const out = oihwToHwio(data, [O, I, H, W]);
  for (const [o, i, h, w] of [[0, 0, 0, 0], [3, 2, 2, 1], [1, 2, 0, 1], [2, 0, 1, 0]] as const) {
    assert.is(out[((h * W + w) * I + i) * O + o], data[((o * I + i) * H + h) * W + w], `[${o},${i},${h},${w}]`);
  }
});

/** Writes weights the way torch does: HWIO -> OIHW under features.N keys, plus a classifier to ignore. */
function writeStateDict(name: string, weights: VggWeights, mutate?: (t: Record<string, SafetensorsInput>) => void): string {
  const tensors: Record<string, SafetensorsInput> = { 'classifier.0.weight': { shape: [2, 3], data: new Float32Array(6) } };
  for (const spec of VGG_CONVS[weights.network]) {
    const conv = weights.convs[spec.name];
    if (!conv) continue;
    const [, , I, O] = conv.shape;
    const oihw = new Float32Array(conv.kernel.length);
    for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) oihw[((o * I + i) * 3 + h) * 3 + w] = conv.kernel[((h * 3 + w) * I + i) * O + o]!;
    tensors[`features.${spec.index}.weight`] = { shape: [O, I, 3, 3], data: oihw };
    tensors[`features.${spec.index}.bias`] = { shape: [O], data: conv.bias };
  }
  mutate?.(tensors);
  const path = join(dir, name);
  writeFileSync(path, serializeSafetensors(tensors));
  return path;
}

test('reads a partial vgg16 state dict, converting OIHW to HWIO', async () => {
  const original = randomVggWeights('vgg16', 9, { upTo: 'relu2_1' });
  const path = writeStateDict('vgg16-part.safetensors', original);
  const loaded = await loadVggWeights(path);
  assert.is(loaded.network, 'vgg16');
  assert.is(loaded.preprocessing, 'torchvision');
  assert.is(loaded.source, path);
  assert.equal(Object.keys(loaded.convs), ['conv1_1', 'conv1_2', 'conv2_1']);
  for (const name of Object.keys(loaded.convs)) {
    assert.equal(loaded.convs[name]!.shape, original.convs[name]!.shape);
    assert.equal(Array.from(loaded.convs[name]!.kernel), Array.from(original.convs[name]!.kernel), name);
  }
});

test('infers vgg19 from features.16.weight (conv3_4)', async () => {
  const path = writeStateDict('vgg19-part.safetensors', randomVggWeights('vgg19', 3, { upTo: 'conv3_4' }));
  const loaded = await loadVggWeights(path);
  assert.is(loaded.network, 'vgg19');
  assert.ok(loaded.convs.conv3_4);
  // Forcing vgg16 reads index 16 as nothing and stops at conv3_3; index 17 (conv4_1) is absent.
  const forced = await loadVggWeights(path, { network: 'vgg16' });
  assert.equal(Object.keys(forced.convs).length, 7);
});

test('malformed files fail with the file, the key and the shapes', async () => {
  const weights = randomVggWeights('vgg16', 4, { upTo: 'conv2_1' });
  const good = writeStateDict('good.safetensors', weights);
  const bytes = (await import('node:fs')).readFileSync(good);
  const truncated = join(dir, 'truncated.safetensors');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  await rejectsWithCode(loadVggWeights(truncated), 'E_WEIGHTS_FORMAT', /truncated\.safetensors: not a valid safetensors file: tensor 'features\.\d+\.(weight|bias)' data .* \(truncated\?\)/);

  const renamed = writeStateDict('renamed.safetensors', weights, (t) => {
    t['features.0.kernel'] = t['features.0.weight']!;
    delete t['features.0.weight'];
  });
  await rejectsWithCode(loadVggWeights(renamed), 'E_WEIGHTS_MISMATCH', /renamed\.safetensors: features\.2\.weight \(conv1_2\) is present but features\.0\.weight \(conv1_1\) is missing/);

  const shape = writeStateDict('shape.safetensors', weights, (t) => {
    t['features.5.weight'] = { shape: [128, 32, 3, 3], data: new Float32Array(128 * 32 * 9) };
  });
  await rejectsWithCode(loadVggWeights(shape), 'E_WEIGHTS_MISMATCH', /shape\.safetensors: features\.5\.weight \(conv2_1\) has shape \[128,32,3,3\], expected OIHW \[128,64,3,3\] for vgg16/);

  const noBias = writeStateDict('nobias.safetensors', weights, (t) => delete t['features.2.bias']);
  await rejectsWithCode(loadVggWeights(noBias), 'E_WEIGHTS_MISMATCH', /features\.2\.bias \(conv1_2 bias\) is missing/);

  const none = writeStateDict('none.safetensors', { ...weights, convs: {} });
  await rejectsWithCode(loadVggWeights(none), 'E_WEIGHTS_MISMATCH', /none\.safetensors: no vgg16 weights found: key features\.0\.weight \(conv1_1\) is missing/);

  // An I32 tensor: hand-written header, as safetensors allows.
  const header = JSON.stringify({ 'features.0.weight': { dtype: 'I32', shape: [64, 3, 3, 3], data_offsets: [0, 64 * 27 * 4] } });
  const file = Buffer.alloc(8 + header.length + 64 * 27 * 4);
  file.writeBigUInt64LE(BigInt(header.length), 0);
  file.write(header, 8);
  const int32 = join(dir, 'int32.safetensors');
  writeFileSync(int32, file);
  await rejectsWithCode(loadVggWeights(int32), 'E_WEIGHTS_FORMAT', /int32\.safetensors: .*tensor 'features\.0\.weight' has dtype "I32"/);

  await rejectsWithCode(loadVggWeights(join(dir, 'missing.safetensors')), 'E_IO', /missing\.safetensors: cannot open the weights file \(ENOENT\)/);
});

test.run();
