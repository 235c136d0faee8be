import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { memoryContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { parseCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { parseSafetensors } from '../../src/weights/safetensors.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { loadModel, saveModel } from '../../src/weights/model-file.node.js';
import { writeRunConfig } from '../../src/train/run-dir.js';
import { resolveTrainOptions } from '../../src/train/train-options.js';
import { writeSyntheticImages } from '../train/fixtures/synthetic-images.js';

const work = mkdtempSync(join(tmpdir(), 'perceptual-cli-train-'));
const darknet = fileURLToPath(new URL('../../../shared/data/darknet/darknettiny', import.meta.url));
let data = '';

test.before(async () => {
  data = await writeSyntheticImages(3, 24);
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(data, { recursive: true, force: true });
});

test('train style without --style is a usage error (exit 2) naming the option', async () => {
  const context = memoryContext();
  const code = await runCli(['train', 'style', '--backend', 'cpu', '--data', data, '--out', join(work, 'x.safetensors')], context);
  assert.is(code, 2);
  assert.match(context.err(), /options\.style \(--style\) must be the path of a style image/);
});

test('train sr on an empty folder: E_DATASET, clear message', async () => {
  const context = memoryContext();
  const code = await runCli(['train', 'sr', '--backend', 'cpu', '--data', join(work), '--out', join(work, 'y.safetensors')], context);
  assert.is.not(code, 0);
  assert.match(context.err(), /No usable images under/);
});

test('train sr with the darknettiny loss network: runs, logs, writes the model, resumes', async () => {
  if (!existsSync(darknet)) {
    console.log(`skipped: ${darknet} is absent`);
    return;
  }
  const out = join(work, 'sr.safetensors');
  const runDir = join(work, 'sr.run');
  const args = ['train', 'sr', '--backend', 'wasm', '--data', data, '--out', out, '--run-dir', runDir, '--loss-network', darknet,
    '--content-layers', 'leaky_re_lu_2', '--scale', '2', '--filters', '4', '--residual-blocks', '1', '--image-size', '16',
    '--batch-size', '1', '--iterations', '2', '--preview-every', '0'];
  const context = memoryContext();
  const code = await runCli(args, context);
  assert.is(code, 0, context.err());
  assert.is(context.out().trim(), out);
  assert.match(context.err(), /backend: wasm/);
  assert.match(context.err(), /trained on wasm: 2 steps in [\d.]+ s, [\d.]+ it\/s, [\d.]+ images\/s \(step 2\/2\)/);
  assert.match(context.err(), /step 2\/2 \| total [\d.e+-]+ feat leaky_re_lu_2 /);
  const log = (await readFile(join(runDir, 'log.jsonl'), 'utf8')).trim().split('\n');
  assert.is(log.length, 2);
  const again = memoryContext();
  assert.is(await runCli(['train', 'sr', '--backend', 'wasm', '--resume', runDir, '--iterations', '3'], again), 0, again.err());
  assert.match(again.err(), /resumed from .*checkpoint-00000002/);
  assert.is((await readFile(join(runDir, 'log.jsonl'), 'utf8')).trim().split('\n').length, 3);
});

test('train sr --upsample shuffle --degradation bicubic with pixel loss only: no loss network, options in config.json', async () => {
  const out = join(work, 'shuffle.safetensors');
  const runDir = join(work, 'shuffle.run');
  const context = memoryContext();
  const code = await runCli(['train', 'sr', '--backend', 'wasm', '--data', data, '--out', out, '--run-dir', runDir, '--upsample', 'shuffle',
    '--degradation', 'bicubic', '--pixel-weight', '1', '--content-weight', '0', '--tv-weight', '0', '--filters', '4', '--residual-blocks', '1',
    '--image-size', '16', '--batch-size', '1', '--iterations', '1', '--preview-every', '0'], context);
  assert.is(code, 0, context.err());
  const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
  assert.is(config.options.degradation, 'bicubic');
  assert.is(config.options.arch.upsample, 'shuffle');
  const bad = memoryContext();
  assert.is(await runCli(['train', 'sr', '--backend', 'cpu', '--data', data, '--out', out, '--degradation', 'gauss'], bad), 2);
  assert.match(bad.err(), /--degradation.*blur-bicubic, bicubic/);
});

test('train distill --teacher-margin reaches config.json; the flag is distill\'s only', async () => {
  const teacher = join(work, 'teacher.safetensors');
  const arch = resolveStyleArch({ width: 0.125, residualBlocks: 1 });
  const params = initParams(arch, 4);
  await saveModel(teacher, { arch, params, provenance: {} }, { dtype: 'F32' });
  tf.dispose(Object.values(params));
  const runDir = join(work, 'distill.run');
  const context = memoryContext();
  const code = await runCli(['train', 'distill', '--backend', 'cpu', '--data', data, '--teacher', teacher, '--teacher-margin', '8', '--out', join(work, 'student.safetensors'),
    '--run-dir', runDir, '--pixel-weight', '1', '--content-weight', '0', '--width', '0.0625', '--residual-blocks', '1', '--image-size', '16',
    '--c1-kernel', '5', '--out-kernel', '3', '--batch-size', '1', '--iterations', '1', '--preview-every', '0'], context);
  assert.is(code, 0, context.err());
  assert.is(JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')).options.teacherMargin, 8);
  const student = await loadModel(join(work, 'student.safetensors'));
  assert.equal([student.arch.task === 'style' && student.arch.c1Kernel, student.params['c1.kernel']!.shape, student.params['out.kernel']!.shape], [5, [5, 5, 3, 2], [3, 3, 2, 3]]);
  tf.dispose(Object.values(student.params));
  const style = memoryContext();
  assert.is(await runCli(['train', 'style', '--backend', 'cpu', '--data', data, '--style', join(data, 'img0.png'), '--out', join(work, 's.safetensors'), '--teacher-margin', '8'], style), 2);
  assert.match(style.err(), /unknown option '--teacher-margin'/);
});

test('a layers loss network with a VGG layer name: the error lists the model\'s layers (every "must be one of")', async () => {
  if (!existsSync(darknet)) {
    console.log(`skipped: ${darknet} is absent`);
    return;
  }
  const common = ['train', 'style', '--backend', 'cpu', '--data', data, '--style', join(data, 'img0.png'), '--out', join(work, 'taps.safetensors'),
    '--loss-network', darknet, '--image-size', '16', '--batch-size', '1', '--iterations', '1', '--preview-every', '0'];
  for (const [flag, path] of [['--content-layers', 'contentLayers'], ['--style-layers', 'styleLayers']] as const) {
    const context = memoryContext();
    const code = await runCli([...common, '--run-dir', join(work, `taps-${path}.run`), flag, 'relu2_2'], context);
    assert.is(code, 2, context.err());
    assert.match(context.err(), new RegExp(`options\\.${path}\\[0\\] must be one of conv2d_1, [^(]*leaky_re_lu_2, [^(]*global_average_pooling2d_1 \\(received "relu2_2"\\)`));
  }
});

test('--resume refuses flags that differ from config.json (naming each), and --iterations below the step reached', async () => {
  const runDir = join(work, 'resume-checks.run');
  await writeRunConfig(runDir, resolveTrainOptions({
    task: 'style', data, out: join(work, 'resume-checks.safetensors'), style: join(data, 'img0.png'), imageSize: 16, batchSize: 2, iterations: 8, lr: 0.01,
    arch: { width: 0.125, residualBlocks: 1 }, lossWeights: 'random',
  }));
  // The checks come before the checkpoint's tensors are read, so an empty one stands in for a run at step 5.
  await saveCheckpoint(runDir, { step: 5, adamIterations: 5, dataset: { seed: 0, position: 10 }, params: {}, adamM: {}, adamV: {} }, 3);
  const changed = memoryContext();
  const code = await runCli(['train', 'style', '--backend', 'cpu', '--resume', runDir, '--lr', '0.5', '--image-size', '32', '--batch-size', '2', '--width', '1', '--iterations', '10'], changed);
  assert.is(code, 2, changed.err());
  assert.match(changed.err(), /--image-size is 32 but the run has 16; --lr is 0\.5 but the run has 0\.01; --width is 1 but the run has 0\.125\); only --iterations may change on resume/);
  assert.not.match(changed.err(), /--batch-size is/);
  const otherTask = memoryContext();
  assert.is(await runCli(['train', 'sr', '--backend', 'cpu', '--resume', runDir], otherTask), 2);
  assert.match(otherTask.err(), /the task \(train style\|sr\|distill\) is "sr" but the run has "style"/);
  const short = memoryContext();
  assert.is(await runCli(['train', 'style', '--backend', 'cpu', '--resume', runDir, '--iterations', '3'], short), 2);
  assert.match(short.err(), /--iterations\) must be at least 5, the step the run in .*resume-checks\.run has reached/);
  assert.is(JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')).options.iterations, 8);
});


test('train export writes the model of any checkpoint: the newest equals the final model, an older one its own weights, a missing step lists the steps', async () => {
  const out = join(work, 'export-final.safetensors');
  const runDir = join(work, 'export.run');
  const trained = memoryContext();
  assert.is(await runCli(['train', 'sr', '--backend', 'cpu', '--data', data, '--out', out, '--run-dir', runDir, '--upsample', 'shuffle',
    '--pixel-weight', '1', '--content-weight', '0', '--tv-weight', '0', '--filters', '4', '--residual-blocks', '1', '--image-size', '16',
    '--batch-size', '1', '--iterations', '2', '--checkpoint-every', '1', '--keep-checkpoints', '5', '--preview-every', '0', '--dtype', 'F32'], trained), 0, trained.err());
  const exported = async (step: string[]) => {
    const path = join(work, `export-${step.join('') || 'newest'}.safetensors`);
    const context = memoryContext();
    assert.is(await runCli(['train', 'export', runDir, '--out', path, '--dtype', 'F32', '--backend', 'cpu', ...step], context), 0, context.err());
    assert.is(context.out().trim(), path);
    return parseSafetensors(await readFile(path), path);
  };
  const final = parseSafetensors(await readFile(out), out);
  const newest = await exported([]);
  const first = await exported(['--step', '1']);
  const checkpoint1 = parseCheckpoint(await readFile(join(runDir, 'checkpoints', 'checkpoint-00000001.safetensors')), 'checkpoint 1');
  assert.equal(JSON.parse(newest.metadata.arch!), JSON.parse(final.metadata.arch!));
  assert.match(first.metadata.trained_with!, /checkpoint of step 1/);
  let differs = false;
  for (const [name, tensor] of final.tensors) {
    assert.equal(Array.from(newest.tensors.get(name)!.data), Array.from(tensor.data), `newest checkpoint = final model: ${name}`);
    assert.equal(Array.from(first.tensors.get(name)!.data), Array.from(checkpoint1.params[name]!.data), `step 1: ${name}`);
    differs ||= first.tensors.get(name)!.data.some((v, i) => v !== tensor.data[i]);
  }
  assert.ok(differs, 'step 1 and step 2 weights differ');
  const missing = memoryContext();
  assert.is.not(await runCli(['train', 'export', runDir, '--out', join(work, 'none.safetensors'), '--step', '7', '--backend', 'cpu'], missing), 0);
  assert.match(missing.err(), /has no checkpoint of step 7 \(it has steps 1, 2\)/);
});
test.run();
