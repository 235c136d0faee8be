/**
 * Distillation (`train distill`), fine-tuning starts (`init`) and the loss
 * recipes of layers loss networks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import { lossRecipe } from '../../src/train/loss-recipes.js';
import { loadTeacher, teacherTarget } from '../../src/train/teacher.js';
import { readLog } from '../../src/train/run-dir.js';
import { train, type TrainEvent } from '../../src/train/train.js';
import { resolveTrainOptions, TASK_DEFAULTS, type TrainOptions } from '../../src/train/train-options.js';
import { parseModel, saveModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { cropRef, reflectPadRef } from '../networks/layers-reference.js';
import { writeSyntheticImages } from './fixtures/synthetic-images.js';

const work = mkdtempSync(join(tmpdir(), 'perceptual-distill-'));
const teacherArch = resolveStyleArch({ width: 0.125, residualBlocks: 1 });
const teacherPath = join(work, 'teacher.safetensors');
let fixed = '';

/** One 16x16 image, crops of 16 and no flips: every step sees the same batch. */
function distillOptions(name: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    task: 'distill', teacher: teacherPath, data: fixed, out: join(work, `${name}.safetensors`), imageSize: 16, batchSize: 1, flip: false,
    iterations: 30, lr: 1e-2, seed: 5, arch: { width: 0.0625, residualBlocks: 1 },
    // Pixel loss only: no loss network to load.
    loss: { contentWeight: 0, pixelWeight: 1 }, checkpointEvery: 100, previewEvery: 0, dtype: 'F32', ...extra,
  };
}

test.before(async () => {
  await useBackend('wasm');
  fixed = await writeSyntheticImages(1, 16, 9);
  const params = initParams(teacherArch, 123);
  await saveModel(teacherPath, { arch: teacherArch, params, provenance: {} }, { dtype: 'F32' });
  tf.dispose(Object.values(params));
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(fixed, { recursive: true, force: true });
});

test('distill: a slim student learns the teacher\'s outputs (pixel loss falls); the model is a style model of the student arch', async () => {
  const pixels: number[] = [];
  const result = await train(distillOptions('student'), join(work, 'student'), {
    onEvent: (e: TrainEvent) => { if (e.type === 'step') pixels.push(e.loss.pixel!); },
  });
  assert.is(result.status, 'completed');
  const last = pixels.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(last < pixels[0]! / 2, `pixel loss at step 1 ${pixels[0]}, mean of the last 5 ${last}`);
  const model = parseModel(await readFile(join(work, 'student.safetensors')), 'student');
  assert.equal(model.arch, resolveStyleArch({ width: 0.0625, residualBlocks: 1 }));
  assert.match(model.provenance.trained_with ?? '', /student of .*teacher\.safetensors/);
  tf.dispose(Object.values(model.params));
});

test('init: a student started from the teacher itself reproduces it (pixel loss at step 1 = 8-bit rounding of the targets)', async () => {
  // Same arch as the teacher and --init teacher: the first forward pass IS the teacher, whose outputs are
  // the targets rounded to 8 bits; a rounding error uniform in +-0.5/255 has mean square (1/255)^2 / 12.
  // Any other target (or init) is off by far more than that.
  // Margin 0: the teacher sees the bare crop, as the student does.
  const dir = join(work, 'self');
  await train(distillOptions('self', { init: teacherPath, arch: { width: 0.125, residualBlocks: 1 }, iterations: 1, teacherMargin: 0 }), dir);
  const log = await readLog(dir);
  const rounding = 1 / 255 ** 2 / 12;
  assert.ok(log[0]!.loss.pixel! > rounding / 2 && log[0]!.loss.pixel! < rounding * 1.5, `pixel loss at step 1: ${log[0]!.loss.pixel}, rounding ${rounding}`);
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  assert.is(config.options.init, teacherPath);
  assert.is(config.options.teacher, teacherPath);
});

test('teacher margin: the target is the teacher run on the crop mirrored by hand around its border, cut back to the crop', async () => {
  const teacher = await loadTeacher(teacherPath);
  const size = 12;
  const crop = Float32Array.from({ length: size * size * 3 }, (_, i) => ((i * 37) % 101) / 100);
  const expected = (m: number): Float32Array => {
    const side = size + 2 * m;
    const mirrored = reflectPadRef({ h: size, w: size, c: 3, data: crop }, m).data as Float32Array;
    const whole = tf.tidy(() => tf.clipByValue(transform(teacher, tf.tensor4d(mirrored, [1, side, side, 3])), 0, 1).dataSync() as Float32Array);
    return cropRef({ h: side, w: side, c: 3, data: whole }, m, m, size, size).data as Float32Array;
  };
  const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);
  const before = tf.memory().numTensors;
  const bare = await teacherTarget(teacher, 0)(crop, size);
  const margin4 = await teacherTarget(teacher, 4)(crop, size);
  // A margin wider than the crop can reflect shrinks to size - 1.
  const tooWide = await teacherTarget(teacher, 32)(crop, size);
  assert.is(tf.memory().numTensors, before);
  assert.ok(maxDiff(bare, expected(0)) < 1e-5, `bare: ${maxDiff(bare, expected(0))}`);
  assert.ok(maxDiff(margin4, expected(4)) < 1e-5, `margin 4: ${maxDiff(margin4, expected(4))}`);
  assert.ok(maxDiff(tooWide, expected(size - 1)) < 1e-5, `margin 32 at size 12: ${maxDiff(tooWide, expected(size - 1))}`);
  // The margin matters: instance norm and the border reach the crop's pixels.
  assert.ok(maxDiff(bare, margin4) > 1e-3, `bare vs margin 4: ${maxDiff(bare, margin4)}`);
  tf.dispose(Object.values(teacher.params));
});

test('init: a model of another architecture is refused, naming both', async () => {
  try {
    await train(distillOptions('mismatch', { init: teacherPath }), join(work, 'mismatch'));
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, RangeError);
    assert.match((error as Error).message, /options\.init \(--init\)/);
    assert.match((error as Error).message, /"width":0\.0625/);
    assert.match((error as Error).message, /"width":0\.125/);
  }
});

test('resolveTrainOptions: distill needs a teacher; only distill takes one; a style image is for style only', () => {
  const base = { data: 'photos', out: 'm.safetensors' };
  assert.throws(() => resolveTrainOptions({ ...base, task: 'distill' }), /options\.teacher \(--teacher\)/);
  assert.throws(() => resolveTrainOptions({ ...base, task: 'style', style: 's.jpg', teacher: 't.safetensors' }), /only distill has a teacher/);
  assert.throws(() => resolveTrainOptions({ ...base, task: 'distill', teacher: 't.safetensors', style: 's.jpg' }), /absent for the distill task/);
  const resolved = resolveTrainOptions({ ...base, task: 'distill', teacher: 't.safetensors' });
  assert.equal([resolved.teacher, resolved.init, resolved.loss.pixelWeight, resolved.loss.contentWeight], ['t.safetensors', null, 100, 1]);
  assert.is(resolved.teacherMargin, 32);
  assert.is(resolveTrainOptions({ ...base, task: 'distill', teacher: 't.safetensors', teacherMargin: 0 }).teacherMargin, 0);
  assert.throws(() => resolveTrainOptions({ ...base, task: 'distill', teacher: 't.safetensors', teacherMargin: -1 }), /options\.teacherMargin \(--teacher-margin\)/);
  assert.throws(() => resolveTrainOptions({ ...base, task: 'style', style: 's.jpg', teacherMargin: 8 }), /only distill has a teacher/);
  assert.is(resolveTrainOptions({ ...base, task: 'style', style: 's.jpg' }).teacherMargin, 0);
});

test('loss recipes: darknettiny (folder or model.json) gets its own layers, flags still win; VGG keeps the paper\'s', () => {
  const recipe = lossRecipe('style', '../data/darknet/darknettiny');
  assert.equal(recipe?.contentLayers, ['leaky_re_lu_4']);
  assert.equal(lossRecipe('style', '/x/darknettiny/model.json'), recipe);
  assert.is(lossRecipe('style', 'vgg16'), null);
  assert.is(lossRecipe('style', '/x/other-net'), null);
  const resolved = resolveTrainOptions({ task: 'style', style: 's.jpg', data: 'p', out: 'm.safetensors', lossNetwork: '/x/darknettiny', loss: { contentWeight: 2 } });
  assert.equal([resolved.loss.contentLayers, resolved.loss.contentWeight, resolved.loss.styleNormalization], [['leaky_re_lu_4'], 2, 'target']);
  const vgg = resolveTrainOptions({ task: 'style', style: 's.jpg', data: 'p', out: 'm.safetensors' });
  assert.equal(vgg.loss, TASK_DEFAULTS.style.loss);
});

test.run();
