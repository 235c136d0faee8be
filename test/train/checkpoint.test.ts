import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type CheckpointData, checkpointPath, listCheckpoints, loadLatestCheckpoint, parseCheckpoint, saveCheckpoint, serializeCheckpoint } from '../../src/train/checkpoint.js';

const work = mkdtempSync(join(tmpdir(), 'perceptual-ckpt-'));

function checkpoint(step: number): CheckpointData {
  return {
    step, adamIterations: step, dataset: { seed: 3, position: step * 4 },
    params: { 'a.kernel': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, step]) }, 'a.bias': { shape: [3], data: Float32Array.from([0.5, -0.5, step]) } },
    adamM: { 'a.kernel': new Float32Array(6).fill(0.1), 'a.bias': new Float32Array(3).fill(0.2) },
    adamV: { 'a.kernel': new Float32Array(6).fill(0.01), 'a.bias': new Float32Array(3).fill(0.02) },
  };
}

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('round trip: params, Adam moments, step and dataset position', () => {
  const back = parseCheckpoint(serializeCheckpoint(checkpoint(7)), 'mem');
  assert.is(back.step, 7);
  assert.equal(back.dataset, { seed: 3, position: 28 });
  assert.equal(Array.from(back.params['a.kernel']!.data), [1, 2, 3, 4, 5, 7]);
  assert.equal(back.params['a.kernel']!.shape, [2, 3]);
  assert.equal(Array.from(back.adamV['a.bias']!), Array.from(new Float32Array(3).fill(0.02)));
});

test('keeps the newest K; a corrupt newest checkpoint falls back to the previous one with a warning', async () => {
  const dir = join(work, 'run');
  for (const step of [10, 20, 30, 40]) await saveCheckpoint(dir, checkpoint(step), 3);
  assert.equal((await listCheckpoints(dir)).map((c) => c.step), [40, 30, 20]);
  // Flip one byte of the tensor data of the newest: parses, but the hash differs.
  const newest = checkpointPath(dir, 40);
  const bytes = await readFile(newest);
  bytes[bytes.length - 3] ^= 0xff;
  await writeFile(newest, bytes);
  // Truncate the second newest: not even parseable.
  const second = checkpointPath(dir, 30);
  await writeFile(second, (await readFile(second)).subarray(0, 40));
  const warnings: string[] = [];
  const latest = await loadLatestCheckpoint(dir, (m) => warnings.push(m));
  assert.is(latest?.checkpoint.step, 20);
  assert.is(warnings.length, 2);
  assert.match(warnings[0]!, /checkpoint-00000040\.safetensors is corrupt: its tensor bytes do not match the SHA-256/);
  assert.match(warnings[1]!, /checkpoint-00000030\.safetensors is corrupt: .*truncated|checkpoint-00000030\.safetensors is corrupt/);
  // All corrupt: a clear error.
  const third = checkpointPath(dir, 20);
  await writeFile(third, 'garbage');
  try {
    await loadLatestCheckpoint(dir, () => {});
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_CHECKPOINT');
    assert.match((error as Error).message, /No usable checkpoint in .*Start a new run without --resume/);
  }
  assert.is(await loadLatestCheckpoint(join(work, 'none'), () => {}), null);
});

test('a writer killed with SIGKILL mid-write leaves the previous checkpoint complete and no partial one visible', async () => {
  const dir = join(work, 'atomic');
  await saveCheckpoint(dir, checkpoint(5), 10);
  const writer = fileURLToPath(new URL('./fixtures/checkpoint-writer.ts', import.meta.url));
  // 48M floats = 192 MB: long enough to catch the temporary file being written.
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, '9', String(48 * 2 ** 20)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sawTemporary = false;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const names = await readdir(join(dir, 'checkpoints'));
    const temporary = names.find((n) => n.endsWith('.tmp'));
    if (temporary && (await stat(join(dir, 'checkpoints', temporary)).catch(() => null))?.size) {
      sawTemporary = true;
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => child.once('exit', r));
  assert.ok(sawTemporary, 'the writer was caught while writing its temporary file');
  const visible = await listCheckpoints(dir);
  // Either the kill came before the rename (only step 5 visible) or after it (step 9 complete).
  const latest = await loadLatestCheckpoint(dir, (m) => assert.unreachable(m));
  assert.ok(visible[0]!.step === 5 || latest!.checkpoint.params.w!.data[0] === 9);
  assert.is(latest!.checkpoint.step, visible[0]!.step);
});

test.run();
