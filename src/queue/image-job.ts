/**
 * @file What one queued image job carries through Redis: the input and
 * output paths (absolute: producer and workers need not share a working
 * folder, only the file system), the model (a bundled name, which each
 * worker resolves in its own installation, or an absolute path) and the
 * options of `perceptual stylize` / `upscale`. A job's data is JSON written
 * by whatever producer, so a worker checks it before it acts on it.
 */
import type { ImageFormat } from '../data/image-io.js';
import { optionRangeError, optionTypeError } from '../errors.js';

/** Version of the job layout; a worker refuses jobs of another. */
export const IMAGE_JOB_VERSION = 1;

/** The BullMQ queue name used when none is given. */
export const DEFAULT_QUEUE_NAME = 'perceptual';

/** One image to transform. */
export interface ImageJobData {
  readonly version: typeof IMAGE_JOB_VERSION;
  readonly task: 'style' | 'sr';
  /** Absolute path of the input image. */
  readonly input: string;
  /** Absolute path of the output image, written atomically. */
  readonly output: string;
  readonly format: ImageFormat;
  /** JPEG/WebP quality 1..100. */
  readonly quality: number;
  /** A bundled model's name or an absolute model path. */
  readonly model: string;
  /** Style only: blend with the input, 0..1. */
  readonly strength?: number;
  /** Style only: keep the input's colours. */
  readonly preserveColor?: boolean;
  readonly tile?: number;
  readonly overlap?: number;
  readonly maxSize?: number;
  readonly maxPixels?: number;
}

const FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'webp'];

/** The BullMQ job name of a task (what `queue status` and dashboards show). */
export function jobNameOf(task: ImageJobData['task']): 'stylize' | 'upscale' {
  return task === 'style' ? 'stylize' : 'upscale';
}

/**
 * Checks a job's data as read from Redis and returns it typed.
 * @throws TypeError / RangeError E_OPTIONS naming the first bad field
 */
export function parseImageJob(data: unknown): ImageJobData {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw optionTypeError('job.data', 'an object', data);
  const job = data as Record<string, unknown>;
  if (job.version !== IMAGE_JOB_VERSION) {
    throw optionRangeError('job.data.version', `${IMAGE_JOB_VERSION} (this worker's job layout; enqueue with the same perceptual version)`, job.version);
  }
  if (job.task !== 'style' && job.task !== 'sr') throw optionRangeError('job.data.task', '"style" or "sr"', job.task);
  for (const key of ['input', 'output'] as const) {
    const path = job[key];
    if (typeof path !== 'string' || !isAbsolutePath(path)) throw optionTypeError(`job.data.${key}`, 'an absolute path', path);
  }
  if (job.input === job.output) throw optionRangeError('job.data.output', 'a different path from the input', job.output);
  if (!FORMATS.includes(job.format as ImageFormat)) throw optionRangeError('job.data.format', 'one of png, jpeg, webp', job.format);
  if (!(Number.isInteger(job.quality) && (job.quality as number) >= 1 && (job.quality as number) <= 100)) throw optionRangeError('job.data.quality', 'an integer from 1 to 100', job.quality);
  if (typeof job.model !== 'string' || job.model === '') throw optionTypeError('job.data.model', 'a bundled model name or a model path', job.model);
  if (job.strength !== undefined && !(typeof job.strength === 'number' && job.strength >= 0 && job.strength <= 1)) throw optionRangeError('job.data.strength', 'a number from 0 to 1', job.strength);
  if (job.preserveColor !== undefined && typeof job.preserveColor !== 'boolean') throw optionTypeError('job.data.preserveColor', 'a boolean', job.preserveColor);
  if (job.task === 'sr' && (job.strength !== undefined || job.preserveColor !== undefined)) {
    throw optionRangeError('job.data', 'without strength or preserveColor for a super-resolution job (they apply to style)', Object.keys(job));
  }
  for (const [key, min] of [['tile', 1], ['overlap', 0], ['maxSize', 1], ['maxPixels', 1]] as const) {
    const value = job[key];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min)) throw optionRangeError(`job.data.${key}`, `an integer >= ${min}`, value);
  }
  return job as unknown as ImageJobData;
}

/** POSIX or Windows absolute (the worker may run on either). */
function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}
