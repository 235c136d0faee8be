/**
 * `evaluateDistill`: the PSNR of a student against its teacher, checked
 * against an independent computation (each network run directly, outputs
 * rounded to 8 bits, 10 log10(255^2 / MSE) over every RGB value).
 */
import * as tf from '@tensorflow/tfjs-core';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateDistill } from '../../src/eval/eval-distill.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { TransformModel } from '../../src/types.js';
import { useBackend } from '../helpers/backends.js';
import { cropRef, reflectPadRef } from '../networks/layers-reference.js';
import { writeSyntheticImages } from '../train/fixtures/synthetic-images.js';

function model(width: number, seed: number): TransformModel {
  const arch = resolveStyleArch({ width, residualBlocks: 1 });
  return { arch, params: initParams(arch, seed), provenance: {} };
}

/** The model's 8-bit output on the photo; with a margin, on the photo mirrored by hand, cut back by hand. */
async function directOutput(m: TransformModel, path: string, margin = 0): Promise<Uint8Array> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const mirrored = reflectPadRef({ h: info.height, w: info.width, c: 3, data: Float32Array.from(data, (v) => v / 255) }, margin);
  const input = tf.tensor4d(mirrored.data as Float32Array, [1, mirrored.h, mirrored.w, 3]);
  const output = transform(m, input);
  const values = cropRef({ ...mirrored, data: await output.data() }, margin, margin, info.height, info.width).data;
  tf.dispose([input, output]);
  return Uint8Array.from(values, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

/** 10 log10(255^2 / MSE) over every value. */
function psnrByHand(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(255 ** 2 / (sum / a.length));
}

test('PSNR of the student against the teacher equals a direct computation; no tensors left; times are positive', async () => {
  await useBackend('cpu');
  const dir = await writeSyntheticImages(2, 24, 11);
  const teacher = model(0.25, 1);
  const student = model(0.125, 2);
  try {
    const before = tf.memory().numTensors;
    const result = await evaluateDistill({ imagesDir: dir, teacher, student, maxSide: 64 });
    assert.is(tf.memory().numTensors, before);
    assert.equal(result.rows.map((r) => r.image), ['img0.png', 'img1.png']);
    for (const row of result.rows) {
      const expected = psnrByHand(await directOutput(teacher, join(dir, row.image)), await directOutput(student, join(dir, row.image)));
      assert.ok(Math.abs(row.psnr - expected) < 0.02, `${row.image}: ${row.psnr} vs ${expected}`);
      assert.ok(row.teacherMs > 0 && row.studentMs > 0);
    }
    assert.ok(Math.abs(result.mean.psnr - (result.rows[0]!.psnr + result.rows[1]!.psnr) / 2) < 1e-9);
    const self = await evaluateDistill({ imagesDir: dir, teacher, student: teacher, maxSide: 64 });
    assert.is(self.mean.psnr, Infinity, 'a student identical to its teacher');
    // With a teacher margin the reference is the teacher on the mirrored photo, cut back.
    const margined = await evaluateDistill({ imagesDir: dir, teacher, student, maxSide: 64, teacherMargin: 6 });
    assert.is(tf.memory().numTensors, before);
    for (const row of margined.rows) {
      const expected = psnrByHand(await directOutput(teacher, join(dir, row.image), 6), await directOutput(student, join(dir, row.image)));
      assert.ok(Math.abs(row.psnr - expected) < 0.02, `margin 6, ${row.image}: ${row.psnr} vs ${expected}`);
      assert.ok(Math.abs(row.psnr - result.rows.find((r) => r.image === row.image)!.psnr) > 0.05, 'the margin changes the reference');
    }
  } finally {
    tf.dispose([...Object.values(teacher.params), ...Object.values(student.params)]);
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
