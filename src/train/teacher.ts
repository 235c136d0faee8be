/**
 * @file The teacher of a distill run: a trained style model whose output on
 * each training crop is the student's target. It runs on the crop itself:
 * cropping its output on the whole photo would not do, since instance-norm
 * statistics of a crop differ from the photo's (bench/RESULTS-distill.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError } from '../errors.js';
import { transformWithReflectedBorder } from '../networks/reflected-border.js';
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

/**
 * Crops each image of a distill run is cut at: the teacher runs once per
 * crop (the dataset caches its output) instead of at every step, and the
 * photos still give 8 x their number of distinct crops.
 */
export const DISTILL_CROPS_PER_IMAGE = 8;

/**
 * The teacher's output on one crop (float32 HWC values in [0, 1]), as the
 * dataset's pairedTarget. With `margin` > 0 the teacher sees the crop
 * continued by reflection (src/networks/reflected-border.ts), so that the
 * marks it makes along an image's border (ml5's zero padding:
 * DEFAULT_TEACHER_MARGIN) are not in the target.
 */
export function teacherTarget(teacher: TransformModel, margin = 0): (crop: Float32Array, size: number) => Promise<Float32Array> {
  return async (crop, size) => {
    const output = tf.tidy(() => tf.clipByValue(transformWithReflectedBorder(teacher, tf.tensor4d(crop, [1, size, size, 3]), margin), 0, 1));
    try {
      return (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  };
}
