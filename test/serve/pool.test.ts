import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferImage } from '../../src/infer/infer-image.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { createPool, type InferencePool } from '../../src/serve/pool.node.js';
import type { TransformArch, TransformModel } from '../../src/types.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { TEST_CRASH_ENV_VAR } from '../../src/test-crash-hook.js';
import { useBackend } from '../helpers/backends.js';

function pattern(width: number, height: number): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + ((i / 97) | 0) * 11) % 251;
  return { data, width, height };
}

let dir = '';
let crashFile = '';
let styleModel: TransformModel;
let stylePath = '';
let srPath = '';
let pool: InferencePool;

async function save(name: string, arch: TransformArch): Promise<[string, TransformModel]> {
  const model = { arch, params: initParams(arch, 3), provenance: {} };
  const path = join(dir, name);
  await saveModel(path, model);
  return [path, model];
}

test.before(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'perceptual-pool-'));
  crashFile = join(dir, 'crash');
  process.env[TEST_CRASH_ENV_VAR] = crashFile;
  [stylePath, styleModel] = await save('style.safetensors', resolveStyleArch({ width: 0.25, residualBlocks: 1 }));
  [srPath] = await save('sr.safetensors', resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 }));
  pool = await createPool({ model: stylePath, workers: 2, maxQueue: 1, tile: 32 });
});

test.after(async () => {
  await pool?.close();
  delete process.env[TEST_CRASH_ENV_VAR];
  await rm(dir, { recursive: true, force: true });
});

test('runs whole and tiled jobs, matching in-process inference on the same backend', async () => {
  assert.is(pool.task, 'style');
  assert.is(pool.scale, 1);
  const small = pattern(28, 20);
  const copy = small.data.slice();
  const out = await pool.run(small);
  assert.equal(small.data, copy, 'the caller image is neither modified nor detached');
  assert.equal(out.data, (await inferImage(styleModel, small, { tiling: 'never' })).data);
  const large = pattern(72, 52);
  const tiled = await pool.run(large);
  assert.equal(tiled.data, (await inferImage(styleModel, large, { tile: 32 })).data);
  assert.is(pool.stats.completed, 2);
  assert.is(pool.stats.workers, 2);
});

test('a statistics pass larger than the tiles: its worker is replaced and the job still matches in-process output', async () => {
  // overlap 4, tile 32: tiles read at most 64x64 pixels, the statistics pass all 96x80 (wasm heaps never shrink).
  const one = await createPool({ model: stylePath, workers: 1, tile: 32, overlap: 4 });
  try {
    const image = pattern(96, 80);
    const expected = (await inferImage(styleModel, image, { tile: 32, overlap: 4 })).data;
    assert.equal((await one.run(image)).data, expected);
    assert.equal((await one.run(image)).data, expected, 'the replacement worker serves the next job');
    assert.is(one.stats.workers, 1);
    assert.is(one.stats.completed, 2);
  } finally {
    await one.close();
  }
});

test('a full queue rejects with E_QUEUE_FULL', async () => {
  const image = pattern(64, 64);
  const jobs = [pool.run(image), pool.run(image), pool.run(image)];
  assert.is(pool.stats.running, 2);
  assert.is(pool.stats.queued, 1);
  try {
    await pool.run(image);
    assert.unreachable('the fourth job should be rejected');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_QUEUE_FULL');
    assert.match((error as Error).message, /queue is full \(1 jobs waiting, 2 running\)/);
  }
  await Promise.all(jobs);
});

test('AbortSignal cancels a running job and a queued one; the pool keeps serving', async () => {
  const image = pattern(96, 96);
  const controller = new AbortController();
  const running = pool.run(image, { signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  try {
    await running;
    assert.unreachable('should abort');
  } catch (error) {
    assert.is((error as Error).name, 'AbortError');
    assert.is((error as { code?: string }).code, 'E_ABORTED');
    assert.match((error as Error).message, /aborted by its AbortSignal/);
  }
  await assert.not.throws(() => undefined);
  const pre = new AbortController();
  pre.abort();
  await pool.run(image, { signal: pre.signal }).then(() => assert.unreachable(), (error: Error) => assert.match(error.message, /AbortSignal/));
  const out = await pool.run(pattern(16, 16));
  assert.is(out.width, 16);
});

test('a job past its timeout rejects with an AbortError that says so', async () => {
  try {
    await pool.run(pattern(96, 96), { timeoutMs: 5 });
    assert.unreachable('should time out');
  } catch (error) {
    assert.is((error as Error).name, 'AbortError');
    assert.match((error as Error).message, /timed out after 5 ms/);
  }
});

test('a worker that dies mid-job: the job is retried once; twice fails with E_WORKER_CRASHED; the pool keeps serving', async () => {
  const image = pattern(24, 24);
  const expected = (await inferImage(styleModel, image, { tiling: 'never' })).data;
  const restartsBefore = pool.stats.restarts;
  await writeFile(crashFile, 'once');
  const retried = await pool.run(image);
  assert.equal(retried.data, expected);
  assert.is(pool.stats.restarts, restartsBefore + 1, 'the crash counts as a restart (GET /metrics)');
  await writeFile(crashFile, 'always');
  try {
    await pool.run(image);
    assert.unreachable('should fail after the retry');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_WORKER_CRASHED');
    assert.match((error as Error).message, /crashed while running a 24x24 region .* and again on the retry \(worker exited with code: 70\)/);
  } finally {
    await rm(crashFile, { force: true });
  }
  assert.equal((await pool.run(image)).data, expected);
  assert.is(pool.stats.workers, 2);
});

test('an SR pool tiles exactly (bytes within 1 of the whole-image output)', async () => {
  const sr = await createPool({ model: srPath, workers: 1, tile: 16 });
  try {
    assert.is(sr.task, 'sr');
    assert.is(sr.scale, 2);
    const image = pattern(40, 36);
    const tiled = await sr.run(image);
    const whole = await sr.run(image, { tile: 64 });
    assert.is(tiled.width, 80);
    let worst = 0;
    for (let i = 0; i < whole.data.length; i++) worst = Math.max(worst, Math.abs(whole.data[i]! - tiled.data[i]!));
    assert.ok(worst <= 1, `max byte difference ${worst}`);
  } finally {
    await sr.close();
  }
});

test('bad options and images are rejected by name; run after close rejects', async () => {
  await createPool({ model: stylePath, workers: 0 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /options\.workers must be an integer >= 1 \(received 0\)/));
  await createPool({ model: join(dir, 'missing.safetensors') }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /Cannot open the model/));
  await pool.run({ data: new Uint8Array(5), width: 2, height: 2 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /image\.data\.length must be width \* height \* 3 = 12/));
  const other = await createPool({ model: srPath, workers: 1 });
  await other.close();
  await other.run(pattern(4, 4)).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /pool is closed/));
});

test.run();
