/**
 * @file The teacher of a distill run: a trained style model whose output on
 * each training photo becomes the student's target. The teacher runs once
 * per photo on the whole photo (the dataset caches the result and crops it
 * with each training crop), so a step costs only the student; and the
 * targets are what a user of the teacher sees, whole-image instance-norm
 * statistics included.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError } from '../errors.js';
import type { RgbPixels } from '../data/dataset.js';
import { transform } from '../networks/transform.js';
import type { TransformModel } from '../types.js';
import { loadTransformModel } from '../weights/load-transform-model.js';

/**
 * Loads the teacher: any style model (file or ml5 checkpoint).
 * @throws RangeError E_OPTIONS when it is a super-resolution model
 */
export async function loadTeacher(path: string): Promise<TransformModel> {
  const teacher = await loadTransformModel(path);
  if (teacher.arch.task !== 'style') {
    tf.dispose(Object.values(teacher.params));
    throw optionRangeError('options.teacher (--teacher)', 'a style model (file or ml5 checkpoint folder)', `${path}, a x${teacher.arch.scale} super-resolution model`);
  }
  return teacher;
}

/** The teacher's output on one whole photo, rounded to 8 bits as a saved stylisation is. */
export async function teacherOutput(teacher: TransformModel, photo: RgbPixels): Promise<RgbPixels> {
  const output = tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(photo.data, (v) => v / 255), [1, photo.height, photo.width, 3]);
    return tf.round(tf.mul(tf.clipByValue(transform(teacher, input, { lean: true }), 0, 1), 255));
  });
  try {
    return { data: Uint8Array.from(await output.data()), width: photo.width, height: photo.height };
  } finally {
    output.dispose();
  }
}
