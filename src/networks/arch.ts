/**
 * @file Architecture configs of the transform networks (SPEC section 4):
 * defaults, validation of user-supplied partial configs, and parsing of the
 * `arch` JSON stored in model files (SPEC section 5).
 */
import { optionRangeError, optionTypeError, perceptualError } from '../errors.js';
import type { SrArch, StyleArch, TransformArch } from '../types.js';

/** The paper's style network with instance norm: width 1, 5 residual blocks, resize-conv upsampling. */
export const DEFAULT_STYLE_ARCH: StyleArch = Object.freeze({
  task: 'style',
  variant: 'johnson',
  width: 1,
  residualBlocks: 5,
  upsample: 'resize',
});

/** The paper's x4 super-resolution network (64 filters, 4 residual blocks, 9x9 first and last convs), with a bilinear global skip. */
export const DEFAULT_SR_ARCH: SrArch = Object.freeze({
  task: 'sr',
  scale: 4,
  filters: 64,
  residualBlocks: 4,
  upsample: 'resize',
  c1Kernel: 9,
  outKernel: 9,
  skip: 'bilinear',
});

/**
 * What `upsample: 'shuffle'` changes in the defaults: a 5x5 first conv (a
 * third of the 9x9's multiply-adds; wider context is the trunk's job), a 3x3
 * output conv (at low resolution it already spans 12x12 output pixels at x4,
 * where the paper's 9x9 at high resolution spans 9x9) and the bicubic skip
 * (closer to the target than bilinear, so less residual is left to learn).
 */
export const SHUFFLE_SR_DEFAULTS = Object.freeze({ c1Kernel: 5, outKernel: 3, skip: 'bicubic' as const });

/** Upper bounds that catch typos (a width of 100 is 100x the paper's filters). */
const MAX_WIDTH = 16;
const MAX_BLOCKS = 64;
const MAX_FILTERS = 1024;
const MAX_KERNEL = 15;

function checkKeys(value: object, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw optionRangeError(`${path}.${key}`, `absent (known keys: ${allowed.join(', ')})`, (value as Record<string, unknown>)[key]);
  }
}

function checkObject(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw optionTypeError(path, 'an object', value);
  return value as Record<string, unknown>;
}

function checkEnum<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value !== 'string') throw optionTypeError(path, `one of ${allowed.join(', ')}`, value);
  if (!allowed.includes(value as T)) throw optionRangeError(path, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

function checkInteger(value: unknown, min: number, max: number, path: string): number {
  if (typeof value !== 'number') throw optionTypeError(path, `an integer in [${min}, ${max}]`, value);
  if (!Number.isInteger(value) || value < min || value > max) throw optionRangeError(path, `an integer in [${min}, ${max}]`, value);
  return value;
}

/**
 * Merges a partial style arch over DEFAULT_STYLE_ARCH and validates it. The
 * `ml5` variant defaults to (and requires) `upsample: 'transpose'`.
 * @example resolveStyleArch({ width: 0.5, upsample: 'transpose' })
 * @throws TypeError / RangeError with code E_OPTIONS naming `arch.<key>`.
 */
export function resolveStyleArch(partial?: Partial<StyleArch>, path = 'arch'): StyleArch {
  const input = checkObject(partial, path);
  checkKeys(input, Object.keys(DEFAULT_STYLE_ARCH), path);
  if (input.task !== undefined) checkEnum(input.task, ['style'], `${path}.task`);
  const variant = checkEnum(input.variant ?? DEFAULT_STYLE_ARCH.variant, ['johnson', 'ml5'], `${path}.variant`);
  const width = input.width ?? DEFAULT_STYLE_ARCH.width;
  if (typeof width !== 'number') throw optionTypeError(`${path}.width`, `a number in (0, ${MAX_WIDTH}]`, width);
  // round(32 w) >= 1 keeps every layer at least one channel wide.
  if (!Number.isFinite(width) || Math.round(32 * width) < 1 || width > MAX_WIDTH) {
    throw optionRangeError(`${path}.width`, `a number in [1/64, ${MAX_WIDTH}] (channels are round(32 w), round(64 w), round(128 w))`, width);
  }
  const residualBlocks = checkInteger(input.residualBlocks ?? DEFAULT_STYLE_ARCH.residualBlocks, 0, MAX_BLOCKS, `${path}.residualBlocks`);
  const upsample = checkEnum(input.upsample ?? (variant === 'ml5' ? 'transpose' : DEFAULT_STYLE_ARCH.upsample), ['resize', 'transpose'], `${path}.upsample`);
  if (variant === 'ml5' && upsample !== 'transpose') {
    throw optionRangeError(`${path}.upsample`, "'transpose' for the ml5 variant (its checkpoints use transposed convs)", upsample);
  }
  return Object.freeze({ task: 'style', variant, width, residualBlocks, upsample });
}

function checkOddKernel(value: unknown, path: string): number {
  const k = checkInteger(value, 1, MAX_KERNEL, path);
  if (k % 2 === 0) throw optionRangeError(path, `an odd integer in [1, ${MAX_KERNEL}] (a centred kernel)`, k);
  return k;
}

/**
 * Merges a partial SR arch over DEFAULT_SR_ARCH (over SHUFFLE_SR_DEFAULTS
 * too for `upsample: 'shuffle'`) and validates it.
 * @example resolveSrArch({ scale: 8 })
 * @example resolveSrArch({ upsample: 'shuffle', filters: 32 }) // c1Kernel 5, outKernel 3, skip bicubic
 * @throws TypeError / RangeError with code E_OPTIONS naming `arch.<key>`.
 */
export function resolveSrArch(partial?: Partial<SrArch>, path = 'arch'): SrArch {
  const input = checkObject(partial, path);
  checkKeys(input, Object.keys(DEFAULT_SR_ARCH), path);
  if (input.task !== undefined) checkEnum(input.task, ['sr'], `${path}.task`);
  const scale = input.scale ?? DEFAULT_SR_ARCH.scale;
  if (typeof scale !== 'number') throw optionTypeError(`${path}.scale`, 'one of 2, 4, 8', scale);
  if (scale !== 2 && scale !== 4 && scale !== 8) throw optionRangeError(`${path}.scale`, 'one of 2, 4, 8', scale);
  const filters = checkInteger(input.filters ?? DEFAULT_SR_ARCH.filters, 1, MAX_FILTERS, `${path}.filters`);
  const residualBlocks = checkInteger(input.residualBlocks ?? DEFAULT_SR_ARCH.residualBlocks, 0, MAX_BLOCKS, `${path}.residualBlocks`);
  const upsample = checkEnum(input.upsample ?? DEFAULT_SR_ARCH.upsample, ['resize', 'transpose', 'shuffle'], `${path}.upsample`);
  const defaults = upsample === 'shuffle' ? { ...DEFAULT_SR_ARCH, ...SHUFFLE_SR_DEFAULTS } : DEFAULT_SR_ARCH;
  const c1Kernel = checkOddKernel(input.c1Kernel ?? defaults.c1Kernel, `${path}.c1Kernel`);
  const outKernel = checkOddKernel(input.outKernel ?? defaults.outKernel, `${path}.outKernel`);
  const skip = checkEnum(input.skip ?? defaults.skip, ['bicubic', 'bilinear', 'nearest', 'none'], `${path}.skip`);
  return Object.freeze({ task: 'sr', scale, filters, residualBlocks, upsample, c1Kernel, outKernel, skip });
}

/**
 * Validates a full arch of either task (dispatch on `task`).
 * @throws TypeError / RangeError E_OPTIONS
 */
export function resolveArch(arch: Partial<TransformArch> & { task: TransformArch['task'] }, path = 'arch'): TransformArch {
  const task = checkEnum(checkObject(arch, path).task, ['style', 'sr'], `${path}.task`);
  return task === 'style' ? resolveStyleArch(arch as Partial<StyleArch>, path) : resolveSrArch(arch as Partial<SrArch>, path);
}

/**
 * Parses the `arch` JSON of a model file. Fields left out take their defaults,
 * so files written by an older version with fewer fields still load.
 * @param source the file, for messages
 * @throws PerceptualError E_MODEL_FORMAT naming the file and the problem (the E_OPTIONS error as `cause`)
 */
export function parseArch(json: string, source = 'model'): TransformArch {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw perceptualError('E_MODEL_FORMAT', `${source}: metadata 'arch' is not valid JSON (${(error as Error).message}). Re-export the model.`, error);
  }
  try {
    return resolveArch(value as TransformArch, 'arch');
  } catch (error) {
    throw perceptualError('E_MODEL_FORMAT', `${source}: metadata 'arch' is invalid: ${(error as Error).message}. Re-export the model with this version of perceptual.`, error);
  }
}

/** Channel counts of the style network's three widths: round(32 w), round(64 w), round(128 w). */
export function styleChannels(arch: StyleArch): readonly [number, number, number] {
  return [Math.round(32 * arch.width), Math.round(64 * arch.width), Math.round(128 * arch.width)];
}
