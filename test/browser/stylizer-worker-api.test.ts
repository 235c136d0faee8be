/**
 * The worker API driven directly in Node on the CPU backend (no worker, no
 * comlink): results must equal transform() + tensorToRgb exactly, since both
 * run the same ops on the same backend. Style and SR models; progress to a
 * callback or a MessagePort; ml5 checkpoints from a folder URL.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStylizerWorkerApi } from '../../src/browser/stylizer-worker-api.js';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import { parseModel, serializeModel } from '../../src/weights/model-file.js';
import { ML5_VARIABLE_ROLES } from '../../src/weights/read-ml5-checkpoint.js';
import { serveFiles, syntheticMl5Checkpoint, underPrefix } from '../helpers/ml5-checkpoint-server.js';

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

/** The reference: transform() + tensorToRgb on this thread. */
async function reference(bytes: Uint8Array, image: { data: Uint8ClampedArray; width: number; height: number }): Promise<Uint8Array> {
  const model = parseModel(bytes, 'reference');
  const input = imageToTensor(image.data, image.width, image.height, 4);
  const output = transform(model, input, { lean: true });
  try {
    return (await tensorToRgb(output)).data;
  } finally {
    tf.dispose([input, output, ...Object.values(model.params)]);
  }
}

test('an SR model runs too: 4x the size, equal to transform()', async () => {
  const arch = resolveSrArch({ scale: 4, filters: 4, residualBlocks: 1 });
  const params = initParams(arch, 3);
  const srBytes = serializeModel({ arch, params, provenance: {} });
  tf.dispose(Object.values(params));
  const info = await api.loadModel(srBytes, 'tiny-sr.safetensors');
  assert.is(info.arch.task, 'sr');
  const image = rgbaImage();
  const result = await api.stylize(image);
  assert.equal([result.width, result.height], [4 * W, 4 * H]);
  const expected = await reference(srBytes, image);
  for (let p = 0; p < 16 * W * H; p++) {
    for (let c = 0; c < 3; c++) if (result.data[p * 4 + c] !== expected[p * 3 + c]) assert.unreachable(`pixel ${p} channel ${c}: ${result.data[p * 4 + c]} != ${expected[p * 3 + c]}`);
  }
});

test('progress: 1 of 1 for a whole image; every tile to a callback or a MessagePort, which is closed after', async () => {
  await api.loadModel(modelBytes, 'tiny.safetensors');
  const whole: Array<{ done: number; total: number }> = [];
  await api.stylize(rgbaImage(), {}, (progress) => whole.push(progress));
  assert.equal(whole, [{ done: 1, total: 1 }]);

  const big = { data: new Uint8ClampedArray(64 * 40 * 4).fill(200), width: 64, height: 40 };
  const tiles: Array<{ done: number; total: number }> = [];
  await api.stylize(big, { tiling: 'always', tile: 32, overlap: 4 }, (progress) => tiles.push(progress));
  assert.ok(tiles.length > 1, `tiled: ${tiles.length} reports`);
  assert.equal(tiles.map((p) => p.done), tiles.map((_, i) => i + 1));
  assert.ok(tiles.every((p) => p.total === tiles.length));

  const { port1, port2 } = new MessageChannel();
  const posted: Array<{ done: number; total: number }> = [];
  const closed = new Promise<void>((resolve) => port1.addEventListener('close', () => resolve()));
  port1.onmessage = (event: MessageEvent) => posted.push(event.data);
  await api.stylize(big, { tiling: 'always', tile: 32, overlap: 4 }, port2);
  await closed;
  assert.equal(posted, tiles);
});

test('loadModel(URL of an ml5 checkpoint folder) fetches manifest.json and the variables', async () => {
  const checkpoint = syntheticMl5Checkpoint(5);
  const server = await serveFiles(underPrefix(checkpoint.files, '/ckpt/'));
  try {
    const info = await api.loadModel(`${server.base}/ckpt/`);
    assert.is(info.source, `${server.base}/ckpt/`);
    assert.is(info.arch.task, 'style');
    assert.is((info.arch as { variant: string }).variant, 'ml5');
    assert.is(info.parameters, [...checkpoint.values.values()].reduce((sum, v) => sum + v.length, 0));
    assert.is(server.requests.length, 1 + ML5_VARIABLE_ROLES.length);
    const result = await api.stylize(rgbaImage());
    assert.equal([result.width, result.height], [W, H]);
  } finally {
    await server.close();
  }
});

test.run();
