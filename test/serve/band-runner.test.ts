/**
 * One image across several workers by row bands (src/serve/band-runner.node.ts,
 * src/serve/band-exchange.ts, src/networks/layers/row-band.ts): the output
 * equals the whole-image network's (reflection and zero padding, resize-conv
 * and transposed upsampling, odd sizes, 2 and 3 workers, more workers than an
 * image has bands for); SR models and closed runners are refused; the band
 * layout and the edge rows are checked against hand-made values.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inferRegion } from '../../src/infer/infer-region.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { edgeRows } from '../../src/networks/layers/row-band.js';
import { bandRows, createBandRunner } from '../../src/serve/band-runner.node.js';
import type { StyleArch, TransformModel } from '../../src/types.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { TEST_CRASH_ENV_VAR } from '../../src/test-crash-hook.js';
import { testImage, tinyModelFiles } from './fixtures.js';

async function styleModel(dir: string, name: string, arch: StyleArch): Promise<{ path: string; model: TransformModel }> {
  const model: TransformModel = { arch, params: initParams(arch, 5), provenance: { source: 'test' } };
  const path = join(dir, `${name}.safetensors`);
  await saveModel(path, model);
  return { path, model };
}

function maxByteDifference(a: Uint8Array, b: Uint8Array): number {
  assert.is(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

test('bandRows: multiples of 4 rows covering the image in order', () => {
  assert.equal(bandRows(64, 2), [[0, 32], [32, 64]]);
  assert.equal(bandRows(72, 2), [[0, 36], [36, 72]]);
  assert.equal(bandRows(40, 3), [[0, 12], [12, 24], [24, 40]]);
});

test('edgeRows mirrors rows as reflect / symmetric padding does, and zero-fills', async () => {
  await useBackend('wasm');
  const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 6, 1, 1]);
  const rows = (side: 'top' | 'bottom', edge: 'reflect' | 'symmetric' | 'zero'): number[] => Array.from(edgeRows(x, 2, side, edge).dataSync());
  assert.equal(rows('top', 'reflect'), [2, 1]); // rows -2, -1 of a reflect pad
  assert.equal(rows('top', 'symmetric'), [1, 0]);
  assert.equal(rows('bottom', 'reflect'), [4, 3]); // rows 6, 7
  assert.equal(rows('bottom', 'symmetric'), [5, 4]);
  assert.equal(rows('top', 'zero'), [0, 0]);
  const before = tf.memory().numTensors;
  tf.dispose(edgeRows(x, 2, 'top', 'reflect'));
  assert.is(tf.memory().numTensors, before);
  x.dispose();
});

test('banded runs equal the whole-image network (johnson resize and transposed, ml5; 2 and 3 workers)', async () => {
  await useBackend('wasm');
  const dir = await mkdtemp(join(tmpdir(), 'perceptual-bands-'));
  try {
    const cases: Array<[string, StyleArch, number]> = [
      ['resize', resolveStyleArch({ width: 0.25, residualBlocks: 1 }), 2],
      ['transpose', resolveStyleArch({ width: 0.25, residualBlocks: 1, upsample: 'transpose' }), 3],
      ['ml5', resolveStyleArch({ width: 0.25, residualBlocks: 1, variant: 'ml5' }), 2],
    ];
    for (const [name, arch, workers] of cases) {
      const { path, model } = await styleModel(dir, name, arch);
      const runner = await createBandRunner({ model: path, workers });
      try {
        // 61 rows pad to 64: bands of 32 (2 workers) or 20/20/24 (3); 37 columns pad to 40.
        const image = testImage(37, 61);
        const whole = await inferRegion(model, { image, output: 'uint8' });
        const banded = await runner.run(image);
        assert.equal([banded.width, banded.height], [37, 61]);
        const worst = maxByteDifference(banded.data, whole.data as Uint8Array);
        assert.ok(worst <= 1, `${name}: ${worst} levels from the whole-image output`);
        // Too few rows for every worker: fewer bands, same result.
        const small = testImage(20, 20);
        const alone = await inferRegion(model, { image: small, output: 'uint8' });
        assert.ok(maxByteDifference((await runner.run(small)).data, alone.data as Uint8Array) <= 1, `${name}: small image`);
      } finally {
        await runner.close();
      }
      tf.dispose(Object.values(model.params));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('abort: a running run rejects at once with E_ABORTED, the workers stay usable; an aborted signal never starts', async () => {
  const files = await tinyModelFiles();
  const runner = await createBandRunner({ model: files.style, workers: 2 });
  try {
    const image = testImage(384, 384);
    const started = performance.now();
    const first = await runner.run(image);
    // The abort below lands mid-run only if a run takes well over 5 ms here.
    assert.ok(performance.now() - started > 40, `a run took ${performance.now() - started} ms: too fast to abort mid-run`);
    const controller = new AbortController();
    const pending = runner.run(image, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 5);
    const error = (await pending.catch((e: unknown) => e)) as Error & { code?: string; cause?: Error };
    assert.is(error.code, 'E_ABORTED');
    assert.is(error.cause?.message, 'user gave up');
    const again = await runner.run(image);
    assert.equal(Array.from(again.data), Array.from(first.data), 'the next run is unaffected');
    const never = (await runner.run(image, { signal: AbortSignal.abort() }).catch((e: unknown) => e)) as Error & { code?: string };
    assert.is(never.code, 'E_ABORTED');
  } finally {
    await runner.close();
    await files.remove();
  }
});

test('a worker that dies mid-run is replaced and the run retried; dying again fails it with E_WORKER_CRASHED', async () => {
  const files = await tinyModelFiles();
  const crashFile = join(tmpdir(), `perceptual-band-crash-${process.pid}`);
  process.env[TEST_CRASH_ENV_VAR] = crashFile; // copied into every worker as it starts, replacements included
  const runner = await createBandRunner({ model: files.style, workers: 2 });
  try {
    const image = testImage(64, 64);
    const good = await runner.run(image);
    await writeFile(crashFile, 'once'); // one worker dies once: the retry succeeds
    assert.equal(Array.from((await runner.run(image)).data), Array.from(good.data));
    await writeFile(crashFile, 'always'); // every attempt dies
    const error = (await runner.run(image).catch((e: unknown) => e)) as Error & { code?: string };
    assert.is(error.code, 'E_WORKER_CRASHED');
    assert.match(error.message, /exited \(code 70\)/);
    await rm(crashFile);
    const again = await runner.run(image);
    assert.equal(Array.from(again.data), Array.from(good.data), 'the replaced workers keep serving');
  } finally {
    delete process.env[TEST_CRASH_ENV_VAR];
    await runner.close();
    await rm(crashFile, { force: true });
    await files.remove();
  }
});

test('an SR model is refused with a message that says to use the pool; a closed runner rejects', async () => {
  const files = await tinyModelFiles();
  try {
    const error = (await createBandRunner({ model: files.sr, workers: 2 }).catch((e: unknown) => e)) as Error;
    assert.instance(error, Error);
    assert.match(error.message, /sr model.*use the pool/);
    const runner = await createBandRunner({ model: files.style, workers: 2 });
    await runner.close();
    const closed = (await runner.run(testImage(16, 16)).catch((e: unknown) => e)) as Error & { code?: string };
    assert.is(closed.code, 'E_ABORTED');
    assert.match(closed.message, /closed/);
  } finally {
    await files.remove();
  }
});

test.run();
