/**
 * @file The teacher of a distill run: a trained style model whose output on
 * each training crop is the student's target.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError } from '../errors.js';
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

/** The teacher's output on a batch of crops (float32 NHWC in [0, 1]); the caller disposes it. */
export function teacherOutput(teacher: TransformModel, crops: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(transform(teacher, crops, { lean: true }), 0, 1));
}
