/**
 * The edge service's parts that run the same in Node: option checks before
 * any backend starts, the worker export that answers a failed start with
 * the error and retries it on the next request, the one gate every model's
 * jobs pass (one at a time in the isolate's thread), and the in-thread pool's
 * `statsSize`, which the edge defaults lower to bound the WASM heap (checked
 * against src/infer run directly with the same statistics size). The
 * service itself runs in workerd and Deno in edge-runtimes.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../src/errors.js';
import { inferImageWithStatistics } from '../../src/infer/statistics-options.js';
import { createEdgeService, createEdgeWorker, gatedPool } from '../../src/serve/edge-service.js';
import { HttpError } from '../../src/serve/http-errors.js';
import { createJobQueue } from '../../src/serve/job-queue.js';
import type { InferencePool, RunOptions } from '../../src/serve/pool-types.js';
import type { RgbImage } from '../../src/pixels.js';
import { createLoadedModelPool } from '../../src/serve/loaded-model-pool.js';
import { loadModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { maxDiff, rejects, testImage, tinyModelFiles } from './fixtures.js';

const someModule = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));

test('createEdgeService refuses no models, a model that is not bytes, and wasm binaries that are neither modules nor bytes', async () => {
  await rejects(createEdgeService({ models: {}, wasm: { tfjsSimd: someModule } }), (e) => errorCode(e) === 'E_OPTIONS' && /options\.models/.test(e.message));
  await rejects(createEdgeService({ models: { wave: 'wave.safetensors' as unknown as Uint8Array }, wasm: { tfjsSimd: someModule } }), (e) => errorCode(e) === 'E_OPTIONS' && /options\.models\.wave/.test(e.message));
  await rejects(createEdgeService({ models: { wave: new Uint8Array(8) }, wasm: { tfjsSimd: '/wasm/x.wasm' as unknown as Uint8Array } }), (e) => errorCode(e) === 'E_OPTIONS' && /wasm\.tfjsSimd.*WebAssembly\.Module/.test(e.message));
  await rejects(createEdgeService({ models: { wave: new Uint8Array(8) }, wasm: { tfjsSimd: someModule, kernels: 42 as unknown as Uint8Array } }), (e) => errorCode(e) === 'E_OPTIONS' && /wasm\.kernels/.test(e.message));
});

test('the worker export answers a failed start with the JSON error and starts again on the next request', async () => {
  let starts = 0;
  const worker = createEdgeWorker(() => {
    starts += 1;
    return { models: {}, wasm: { tfjsSimd: someModule } };
  });
  for (const attempt of [1, 2]) {
    const response = await worker.fetch(new Request('http://edge/healthz'));
    assert.is(response.status, 400);
    assert.is(((await response.json()) as { code: string }).code, 'E_OPTIONS');
    assert.is(starts, attempt);
  }
});

/** A pool whose jobs finish when the test says so; records each job's signal. */
function heldPool(task: 'style' | 'sr'): InferencePool & { started: AbortSignal[]; release(): void } {
  const waiting: (() => void)[] = [];
  const started: AbortSignal[] = [];
  return {
    task,
    scale: task === 'sr' ? 2 : 1,
    started,
    release: () => waiting.shift()?.(),
    stats: { queued: 0, running: 0, workers: 1, completed: 0, failed: 0, restarts: 0 },
    run(image: RgbImage, options: RunOptions = {}) {
      started.push(options.signal!);
      return new Promise((resolve) => waiting.push(() => resolve(image)));
    },
    close: async () => undefined,
  };
}

test('models behind one gate run one job at a time in arrival order; one more waits, the next is refused', async () => {
  const gate = createJobQueue({ concurrency: 1, maxQueue: 1 });
  const style = heldPool('style');
  const sr = heldPool('sr');
  const gatedStyle = gatedPool(style, gate, 1000);
  const gatedSr = gatedPool(sr, gate, 1000);
  const image = testImage(4, 4);
  const first = gatedStyle.run(image);
  const second = gatedSr.run(image);
  await rejects(gatedStyle.run(image), (e) => errorCode(e) === 'E_QUEUE_FULL');
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal([style.started.length, sr.started.length], [1, 0], 'the SR job waits for the style job');
  assert.is(gatedSr.stats.queued, 1);
  style.release();
  assert.is(await first, image);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.is(sr.started.length, 1);
  sr.release();
  assert.is(await second, image);
  await gatedStyle.close();
  await rejects(gatedSr.run(image), (e) => /closed/.test(e.message));
});

test('the time limit, kept by the gate, aborts the job it admitted', async () => {
  const gate = createJobQueue({ concurrency: 1, maxQueue: 1 });
  const style = heldPool('style');
  await rejects(gatedPool(style, gate, 1000).run(testImage(4, 4), { timeoutMs: 20 }), (e) => errorCode(e) === 'E_ABORTED');
  assert.ok(style.started[0]!.aborted, 'the pool saw the abort');
  style.release();
});

test('a job whose output would pass maxPixels is refused with 413 before it queues (SR counts its scaled output)', async () => {
  const gate = createJobQueue({ concurrency: 1, maxQueue: 1 });
  const sr = heldPool('sr');
  const gated = gatedPool(sr, gate, 400);
  // 10x10 at x2 is 20x20 = 400 pixels: allowed; 11x10 is 22x20 = 440: refused.
  await rejects(gated.run(testImage(11, 10)), (e) => e instanceof HttpError && e.code === 'E_TOO_LARGE' && /22x20.*440.*400.*at most 100 input pixels/.test(e.message));
  assert.is(sr.started.length, 0);
  const allowed = gated.run(testImage(10, 10));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.is(sr.started.length, 1);
  sr.release();
  await allowed;
});

test('the in-thread pool measures style statistics at statsSize, as src/infer does with that size', async () => {
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  const files = await tinyModelFiles();
  try {
    const image = testImage(64, 56);
    const options = { tile: 32, statsSize: 48 };
    const model = await loadModel(files.style);
    const expected = await inferImageWithStatistics(model, image, options);
    const withDefault = await inferImageWithStatistics(model, image, { tile: 32 });
    tf.dispose(Object.values(model.params));
    assert.ok(maxDiff(expected.data, withDefault.data) > 0, 'the statistics size changes the output of a tiled image');
    const pool = await createLoadedModelPool({ model: await loadModel(files.style), ...options });
    try {
      const out = await pool.run(image);
      assert.equal(maxDiff(out.data, expected.data), 0);
    } finally {
      await pool.close();
    }
  } finally {
    await files.remove();
  }
  assert.is(tf.memory().numTensors, before);
});

test.run();
