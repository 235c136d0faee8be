import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { resolvePerceptualLossOptions, styleTargets, type PerceptualLossNumbers } from '../../src/losses/perceptual.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { Random } from '../../src/random.js';
import { combineLossNumbers, partSizes } from '../../src/train/batch-shares.js';
import { startDataParallel } from '../../src/train/data-parallel.node.js';
import { readLog } from '../../src/train/run-dir.js';
import { loadRunLossNetwork } from '../../src/train/run-inputs.js';
import { resumeTraining, train } from '../../src/train/train.js';
import { resolveTrainOptions, type TrainOptions } from '../../src/train/train-options.js';
import { computeGradients, trainStep } from '../../src/train/train-step.js';
import type { StyleArch } from '../../src/types.js';
import { parseModel } from '../../src/weights/model-file.js';
import { TEST_CRASH_ENV_VAR } from '../../src/test-crash-hook.js';
import { useBackend } from '../helpers/backends.js';
import { tinyLossNetwork } from './fixtures/tiny-loss-network.js';
import { writeSyntheticImages } from './fixtures/synthetic-images.js';

const work = mkdtempSync(join(tmpdir(), 'perceptual-data-parallel-'));
let data = '';

/** A 12x12 style image: diagonal stripes (strong, distinctive Gram statistics). */
function stripes() {
  const values = new Float32Array(12 * 12 * 3);
  for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) for (let c = 0; c < 3; c++) values[(y * 12 + x) * 3 + c] = ((x + y + c) % 4) < 2 ? 0.9 : 0.1;
  return { shape: [1, 12, 12, 3] as [number, number, number, number], data: values };
}

/**
 * A tiny style run: width 0.125, one residual block, 16 px crops, batch 4, and
 * VGG-16 with seeded random weights built only up to relu2_2 (no download), so
 * every worker builds the same loss network from the options alone.
 */
function styleOptions(name: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    task: 'style', data, out: join(work, `${name}.safetensors`), style: 'injected.png', imageSize: 16, batchSize: 4,
    iterations: 6, lr: 1e-2, seed: 5, arch: { width: 0.125, residualBlocks: 1 },
    lossNetwork: 'vgg16', lossWeights: 'random', lossTaps: ['relu1_2', 'relu2_2'],
    loss: { contentLayers: ['relu2_2'], styleLayers: ['relu1_2', 'relu2_2'], contentWeight: 1, styleWeight: 3, tvWeight: 1e-2 },
    checkpointEvery: 3, previewEvery: 0, dtype: 'F32', workers: 2, ...extra,
  };
}

/** Every number of two loss records, side by side. */
function pairs(a: PerceptualLossNumbers, b: PerceptualLossNumbers): [string, number, number][] {
  return [
    ['total', a.total, b.total],
    ...Object.keys(a.feature).map((k) => [`feature ${k}`, a.feature[k]!, b.feature[k]!] as [string, number, number]),
    ...Object.keys(a.style).map((k) => [`style ${k}`, a.style[k]!, b.style[k]!] as [string, number, number]),
    ['pixel', a.pixel ?? 0, b.pixel ?? 0],
    ['tv', a.tv ?? 0, b.tv ?? 0],
  ];
}

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  return assert.unreachable('it resolved') as never;
}

async function modelParams(path: string): Promise<Record<string, Float32Array>> {
  const model = parseModel(await readFile(path), path);
  const out = Object.fromEntries(Object.entries(model.params).map(([name, t]) => [name, t.dataSync() as Float32Array]));
  tf.dispose(Object.values(model.params));
  return out;
}

test.before(async () => {
  data = await writeSyntheticImages(5, 24);
  // Both sides of test 1 run on WASM, the workers' backend, so they share kernels and differ only in how the batch is summed.
  await useBackend('wasm');
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(data, { recursive: true, force: true });
});

test('partSizes: contiguous parts as even as possible, larger first', () => {
  assert.equal(partSizes(4, 2), [2, 2]);
  assert.equal(partSizes(5, 2), [3, 2]);
  assert.equal(partSizes(7, 3), [3, 2, 2]);
  assert.equal(partSizes(3, 3), [1, 1, 1]);
});

test('one step on 2 workers (batch 3 split 2 + 1): the loss, gradients and updates of the same batch in this thread', async () => {
  // Batch 3 so the parts are unequal (2 and 1 images): a wrong share weighting could not cancel out.
  const resolved = resolveTrainOptions(styleOptions('gradients', { batchSize: 3 }));
  const arch = resolveStyleArch(resolved.arch as Partial<StyleArch>);
  const random = new Random(7);
  const batch = { shape: [3, 16, 16, 3] as [number, number, number, number], data: Float32Array.from({ length: 3 * 16 * 16 * 3 }, () => random.next()) };
  const initial = initParams(arch, 5);
  const variablesOf = (tag: string) => Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, tf.variable(v, true, `dp-test-${tag}/${k}`)]));
  const here = variablesOf('here');
  const there = variablesOf('there');
  const network = await loadRunLossNetwork(resolved);
  const loss = resolvePerceptualLossOptions(resolved.loss, network.taps);
  const style = tf.tensor4d(stripes().data, [1, 12, 12, 3]);
  const styleGrams = styleTargets(network, style, loss.styleLayers);
  const context = { arch, variables: here, network, loss, styleGrams };
  const x = tf.tensor4d(batch.data, [...batch.shape]);
  const parts = [tf.slice(x, [0, 0, 0, 0], [2, 16, 16, 3]), tf.slice(x, [2, 0, 0, 0], [1, 16, 16, 3])];
  const trainer = await startDataParallel({ options: resolved, arch, styleImage: stripes(), runDir: work });
  const optimizers = [tf.train.adam(resolved.lr), tf.train.adam(resolved.lr)];
  const held: tf.Tensor[] = [];
  try {
    assert.is(trainer.lastStepTimes, null);
    const summed = await trainer.gradients(batch, batch, 0, there);
    assert.is(summed.missing.size, 0);
    // The time split: both workers' own times lie inside this thread's wait for them; no update yet.
    const times = trainer.lastStepTimes!;
    assert.is(times.busyMs.length, 2);
    for (const busy of times.busyMs) assert.ok(busy > 0 && busy <= times.waitMs, `worker busy ${busy} ms, waited ${times.waitMs} ms`);
    assert.is(times.applyMs, 0);
    const whole = await computeGradients(context, x, x);
    const byPart = [await computeGradients(context, parts[0]!, parts[0]!), await computeGradients(context, parts[1]!, parts[1]!)];
    held.push(...Object.values(whole.grads), ...byPart.flatMap((p) => Object.values(p.grads)));

    // (a) Against the two parts computed here and weighted 2/3 and 1/3: exact. The workers run the
    // same WASM kernels on the same part shapes, and the weighted sum is the same float64 arithmetic.
    assert.equal(summed.numbers, combineLossNumbers(byPart.map((p) => p.numbers), [2 / 3, 1 / 3]));
    for (const [name, variable] of Object.entries(here)) {
      const [p0, p1] = byPart.map((p) => p.grads[variable.name]!.dataSync());
      const got = summed.grads[name]!;
      for (let i = 0; i < got.length; i++) {
        const expected = Math.fround((2 / 3) * p0![i]! + (1 / 3) * p1![i]!);
        if (got[i] !== expected) assert.unreachable(`${name}[${i}]: workers ${got[i]}, parts here ${expected}`);
      }
    }

    // (b) Against the whole batch of 3 in one pass: equal up to the order of float32 sums. Loss terms
    // within 1e-4 relative (measured 2.6e-5: the style term at relu2_2 sums 3 x 128^2 squared Gram
    // differences, accumulated in another order over a batch of 3 than over 2 + 1); gradients within
    // 1e-5 of the largest gradient element of the network (measured 1.1e-6). Adding the parts
    // unweighted, or with equal weights, is off by a third or more of the values.
    for (const [term, a, b] of pairs(summed.numbers, whole.numbers)) {
      assert.ok(Math.abs(a - b) <= 1e-4 * Math.abs(b), `${term}: workers ${a}, this thread ${b}`);
    }
    const scales = Object.fromEntries(Object.entries(here).map(([name, v]) => [name, (whole.grads[v.name]!.dataSync() as Float32Array).reduce((m, g) => Math.max(m, Math.abs(g)), 0)]));
    const largest = Math.max(...Object.values(scales));
    for (const [name, variable] of Object.entries(here)) {
      const expected = whole.grads[variable.name]!.dataSync();
      const got = summed.grads[name]!;
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      assert.ok(worst <= 1e-5 * largest, `${name}: largest difference ${worst}, largest gradient ${largest}`);
    }

    // (c) Three Adam steps each way on this batch: parameters within 1e-3 x lr (measured 1.9e-4 x lr).
    // Left out: a parameter whose gradient is 0 in exact arithmetic (res0.norm2.beta, a per-channel
    // shift the next instance norm removes) is rounding noise on both sides (below 1e-6 of the
    // largest gradient), which Adam divides by its own RMS into steps of up to lr in either direction.
    const noise = Object.keys(scales).filter((name) => scales[name]! < 1e-6 * largest);
    assert.equal(noise, ['res0.norm2.beta']);
    for (let step = 0; step < 3; step++) {
      const a = await trainStep({ ...context, optimizer: optimizers[0]! }, x, x, step);
      const b = await trainer.step(batch, batch, step, there, optimizers[1]!);
      assert.ok(Math.abs(a.total - b.total) <= 1e-4 * a.total, `step ${step + 1} total: ${a.total} here, ${b.total} on workers`);
      assert.ok(trainer.lastStepTimes!.applyMs > 0);
    }
    for (const [name, variable] of Object.entries(here)) {
      if (noise.includes(name)) continue;
      const a = variable.dataSync();
      const b = there[name]!.dataSync();
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      assert.ok(worst <= 1e-3 * resolved.lr, `${name} after 3 steps: largest difference ${worst}`);
    }
  } finally {
    await trainer.close();
    optimizers.forEach((o) => o.dispose());
    tf.dispose([x, ...parts, style, ...held, ...Object.values(styleGrams), ...Object.values(initial), ...Object.values(here), ...Object.values(there)]);
    network.dispose();
  }
});

test('2 workers: stopped at step 4 and resumed == straight 6 steps (bitwise), log equal, main-thread tensors flat', async () => {
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  const straight = await train(styleOptions('straight'), join(work, 'straight'), {
    styleImage: stripes(),
    onEvent: (e) => { if (e.type === 'step') counts.push(e.numTensors); },
  });
  assert.is(straight.status, 'completed');
  // Adam's moments appear on the first step; after it this thread's count must not move, and the run leaves nothing behind.
  assert.ok(counts.slice(1).every((c) => c === counts[1]), `numTensors per step: ${counts.join(',')}`);
  assert.is(tf.memory().numTensors, before);

  const splitDir = join(work, 'split');
  const first = await train(styleOptions('split'), splitDir, { styleImage: stripes(), stopAtStep: 4 });
  assert.is(first.status, 'interrupted');
  assert.is(first.step, 4);
  const second = await resumeTraining(splitDir, {}, { styleImage: stripes() });
  assert.is(second.status, 'completed');
  assert.is(second.step, 6);
  // Exact: the same parts go to the same workers with the same kernels, and the checkpoint restores
  // the parameters and Adam's state exactly (adam-state.ts), so nothing can differ.
  const a = await modelParams(join(work, 'straight.safetensors'));
  const b = await modelParams(join(work, 'split.safetensors'));
  for (const [name, x] of Object.entries(a)) {
    const y = b[name]!;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) assert.unreachable(`${name}[${i}]: ${x[i]} vs ${y[i]}`);
  }
  assert.equal((await readLog(splitDir)).map((e) => e.loss.total), (await readLog(join(work, 'straight'))).map((e) => e.loss.total));
});

test('bad workers values are refused with E_OPTIONS naming the option and the fix', async () => {
  const refuse = (workers: unknown, pattern: RegExp, kind: typeof TypeError | typeof RangeError) => {
    try {
      resolveTrainOptions(styleOptions('bad', { workers: workers as number }));
    } catch (error) {
      assert.instance(error, kind);
      assert.is((error as { code?: string }).code, 'E_OPTIONS');
      assert.match((error as Error).message, pattern);
      return;
    }
    assert.unreachable(`workers ${String(workers)} was accepted`);
  };
  refuse(0, /options\.workers \(--workers\) must be a positive integer, the number of worker threads that share each batch \(1: train in this thread\) \(received 0\)/, RangeError);
  refuse(-2, /must be a positive integer.*\(received -2\)/, RangeError);
  refuse(1.5, /must be a positive integer.*\(received 1\.5\)/, RangeError);
  refuse('2', /must be a positive integer.*\(received "2"\)/, TypeError);
  refuse(5, /options\.workers \(--workers\) must be at most the batch size 4, since each worker takes a contiguous part of every batch; lower --workers or raise --batch-size \(received 5\)/, RangeError);
  assert.is(resolveTrainOptions(styleOptions('default', { workers: undefined })).workers, 1);

  // An injected loss network object cannot reach the workers.
  const network = tinyLossNetwork();
  try {
    const error = await rejection(train(styleOptions('injected'), join(work, 'injected'), { lossNetwork: network, styleImage: stripes() }));
    assert.match(error.message, /hooks\.lossNetwork must be absent with options\.workers > 1.*options\.lossNetwork and options\.lossWeights/);
  } finally {
    network.dispose();
  }

  // On resume too (workers may change there, within the batch).
  assert.match((await rejection(resumeTraining(join(work, 'straight'), { workers: 8 }))).message, /at most the batch size 4/);

  // And from the command line: a usage error (exit 2).
  const context = memoryContext();
  const code = await runCli(['train', 'style', '--backend', 'cpu', '--data', data, '--style', 'x.png', '--out', join(work, 'cli.safetensors'), '--workers', '0'], context);
  assert.is(code, 2);
  assert.match(context.err(), /options\.workers \(--workers\) must be a positive integer/);
});

test('a worker that dies mid-run: E_WORKER_CRASHED naming it and the step, the last checkpoint kept and resumable', async () => {
  const crashFile = join(work, 'crash-once');
  const dir = join(work, 'crash');
  // Workers copy the environment when they start, so the variable is set first; the file appears after step 4.
  process.env[TEST_CRASH_ENV_VAR] = crashFile;
  try {
    const run = train(styleOptions('crash'), dir, {
      styleImage: stripes(),
      onEvent: (e) => { if (e.type === 'step' && e.step === 4) writeFileSync(crashFile, 'once'); },
    });
    const error = await rejection(run);
    assert.is(error.code, 'E_WORKER_CRASHED');
    assert.match(error.message, /^Training worker [12] of 2 exited \(code 70\) during step 5; the run stopped and its newest checkpoint in .*crash is kept\. Continue it with --resume .*crash/);
  } finally {
    delete process.env[TEST_CRASH_ENV_VAR];
    await rm(crashFile, { force: true });
  }
  assert.ok(existsSync(join(dir, 'checkpoints', 'checkpoint-00000003.safetensors')));
  const resumed = await resumeTraining(dir, {}, { styleImage: stripes() });
  assert.is(resumed.status, 'completed');
  assert.is(resumed.step, 6);
});

test.run();
