/**
 * @file Distillation evaluation: how closely a student style model
 * reproduces its teacher on held-out photos (PSNR of the student's 8-bit
 * output against the teacher's, every RGB channel, no border cropped) and
 * how much faster it runs (median of timed forward passes, same backend,
 * same photos).
 */
import * as tf from '@tensorflow/tfjs-core';
import { imageToTensor, tensorToRgb } from '../data/image-tensor.js';
import { inferImage } from '../infer/infer-image.js';
import { downscaleRgb } from '../infer/rgb-image.js';
import type { RgbImage } from '../pixels.js';
import { psnr, quantizeImage } from '../metrics/index.js';
import { transformWithReflectedBorder } from '../networks/reflected-border.js';
import type { TransformModel } from '../types.js';
import { checkInteger } from '../validate.js';
import { evaluateEach, type EvalProgressOptions, type EvalResult, meanFields } from './eval-rows.js';
import { listImages, readFloatImage } from './image-folder.js';

export interface EvalDistillOptions extends EvalProgressOptions<DistillEvalRow> {
  /** Folder of held-out photos. */
  imagesDir: string;
  teacher: TransformModel;
  student: TransformModel;
  /** Photos are reduced (aspect kept) so their long side is at most this (default 512). */
  maxSide?: number;
  /** Timed runs of each model per photo after one warm-up (default 1). */
  runs?: number;
  /**
   * Compare against the teacher run on the photo continued by this many
   * pixels of reflection, cut back (src/networks/reflected-border.ts): the
   * target `train distill --teacher-margin` trains for, without the marks the
   * teacher's zero padding leaves along the border. Default 0: the teacher's
   * output as it is. Times are always of plain runs.
   */
  teacherMargin?: number;
}

export interface DistillEvalRow {
  readonly image: string;
  readonly width: number;
  readonly height: number;
  /** PSNR (dB, RGB, 8-bit) of the student's output against the teacher's. */
  readonly psnr: number;
  readonly teacherMs: number;
  readonly studentMs: number;
}

/** Means over the photos (each photo's time is the median of its timed runs); speedup = mean teacher time / mean student time. */
export type DistillEvalResult = EvalResult<DistillEvalRow, { readonly psnr: number; readonly teacherMs: number; readonly studentMs: number; readonly speedup: number }>;

/**
 * Runs teacher and student on every photo in `imagesDir`.
 * @throws PerceptualError E_IO / E_DATASET for the folder, E_ABORTED on abort
 */
export async function evaluateDistill(options: EvalDistillOptions): Promise<DistillEvalResult> {
  const names = await listImages(options.imagesDir, 'held-out photo');
  const maxSide = options.maxSide ?? 512;
  const runs = options.runs ?? 1;
  const margin = checkInteger(options.teacherMargin ?? 0, 'options.teacherMargin (--teacher-margin)', 0, 256);
  const rows = await evaluateEach(names, options, async (name): Promise<DistillEvalRow> => {
    const photo = downscaleRgb(quantizeImage(await readFloatImage(options.imagesDir, name), name), maxSide);
    const teacher = await timed(options.teacher, photo, runs);
    const student = await timed(options.student, photo, runs);
    const reference = margin > 0 ? await withMargin(options.teacher, photo, margin) : teacher.output;
    return {
      image: name, width: photo.width, height: photo.height,
      psnr: psnr({ ...reference, channels: 3 }, { ...student.output, channels: 3 }, { channel: 'rgb' }),
      teacherMs: teacher.ms, studentMs: student.ms,
    };
  });
  const mean = meanFields(rows, ['psnr', 'teacherMs', 'studentMs']);
  return { rows, mean: { ...mean, speedup: mean.teacherMs / mean.studentMs } };
}

/** The model's 8-bit output on the photo continued by `margin` pixels of reflection, cut back. */
async function withMargin(model: TransformModel, photo: RgbImage, margin: number): Promise<RgbImage> {
  const input = imageToTensor(photo.data, photo.width, photo.height, 3);
  const output = transformWithReflectedBorder(model, input, margin);
  try {
    return await tensorToRgb(output);
  } finally {
    tf.dispose([input, output]);
  }
}

/** The model's 8-bit output (one warm-up run) and the median time of `runs` more. */
async function timed(model: TransformModel, photo: RgbImage, runs: number): Promise<{ output: RgbImage; ms: number }> {
  const output = await inferImage(model, photo, { tiling: 'never' });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await inferImage(model, photo, { tiling: 'never' });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { output, ms: times[Math.floor(times.length / 2)]! };
}
