/**
 * The worker API driven directly in Node on the CPU backend (no worker, no
 * comlink): results must equal transform() + tensorToRgb exactly, since both
 * run the same ops on the same backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStylizerWorkerApi } from '../../src/browser/stylizer-worker-api.js';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import { parseModel, serializeModel } from '../../src/weights/model-file.js';

const W = 12;
const H = 8;
const api = createStylizerWorkerApi();
let modelBytes: Uint8Array;

function rgbaImage(): { data: Uint8ClampedArray; width: number; height: number } {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    data[i * 4] = (i * 37) % 256;
    data[i * 4 + 1] = (i * 11) % 256;
    data[i * 4 + 2] = 255 - ((i * 5) % 256);
    data[i * 4 + 3] = 255;
  }
  return { data, width: W, height: H };
}

/** uvu has no async throws: awaits `run` and matches the rejection's message. */
async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, Error, `expected a rejection matching ${pattern}`);
  assert.match((error as Error).message, pattern);
}

test.before(async () => {
  const runtime = await api.init({ backend: 'cpu' });
  assert.is(runtime.backend, 'cpu');
  const arch = resolveStyleArch({ width: 0.125, residualBlocks: 1 });
  const params = initParams(arch, 7);
  modelBytes = serializeModel({ arch, params, provenance: {} });
  tf.dispose(Object.values(params));
});

test('stylize before loadModel says to load a model first', async () => {
  await rejects(() => api.stylize(rgbaImage()), /before a model was loaded\. Call loadModel/);
});

test('loadModel rejects what is not a model, naming the source', async () => {
  await rejects(() => api.loadModel(new Uint8Array([1, 2, 3]), 'junk.bin'), /junk\.bin/);
  await rejects(() => api.loadModel(42 as unknown as Uint8Array), /source must be a URL string, Uint8Array or ArrayBuffer/);
  await rejects(() => api.loadModel('http://127.0.0.1:1/none.safetensors'), /Cannot fetch the model http:\/\/127\.0\.0\.1:1\/none\.safetensors/);
});

test('loadModel(bytes) then stylize(RGBA) equals transform() + tensorToRgb', async () => {
  const info = await api.loadModel(modelBytes.slice().buffer, 'tiny.safetensors');
  assert.is(info.source, 'tiny.safetensors');
  assert.is(info.arch.task, 'style');
  const model = parseModel(modelBytes, 'reference');
  assert.is(info.parameters, Object.values(model.params).reduce((sum, t) => sum + t.size, 0));
  const image = rgbaImage();
  const input = imageToTensor(image.data, W, H, 4);
  const output = transform(model, input, { lean: true });
  const expected = (await tensorToRgb(output)).data;
  tf.dispose([input, output, ...Object.values(model.params)]);

  const result = await api.stylize(image);
  assert.is(result.width, W);
  assert.is(result.height, H);
  assert.ok(result.data instanceof Uint8ClampedArray);
  for (let p = 0; p < W * H; p++) {
    assert.is(result.data[p * 4 + 3], 255);
    for (let c = 0; c < 3; c++) if (result.data[p * 4 + c] !== expected[p * 3 + c]) assert.unreachable(`pixel ${p} channel ${c}: ${result.data[p * 4 + c]} != ${expected[p * 3 + c]}`);
  }
  assert.ok(result.milliseconds >= 0);
});

test('no tensors leak across stylize calls and model reloads', async () => {
  await api.stylize(rgbaImage());
  const before = (await api.info()).numTensors;
  for (let i = 0; i < 3; i++) await api.stylize(rgbaImage(), { tiling: 'always', tile: 32, overlap: 4 });
  await api.loadModel(modelBytes, 'again');
  assert.is((await api.info()).numTensors, before);
  assert.is(tf.memory().numTensors, before);
  const info = await api.info();
  assert.is(info.model?.source, 'again');
  assert.is(info.runtime?.backend, 'cpu');
  await api.dispose();
  assert.is((await api.info()).model, null);
  assert.ok((await api.info()).numTensors < before, 'dispose frees the model');
});

test.run();
