/**
 * @file Architecture configs of the transform networks (SPEC section 4):
 * defaults, validation of user-supplied partial configs, and parsing of the
 * `arch` JSON stored in model files (SPEC section 5).
 */
import { optionRangeError, optionTypeError, perceptualError } from '../errors.js';
import { checkInteger, checkKnownKeys, checkOneOf, plainObject } from '../validate.js';
import type { SrArch, StyleArch, TransformArch } from '../types.js';

/** The paper's style network with instance norm: width 1, 5 residual blocks, resize-conv upsampling. */
export const DEFAULT_STYLE_ARCH: StyleArch = Object.freeze({
  task: 'style',
  variant: 'johnson',
  width: 1,
  residualBlocks: 5,
  upsample: 'resize',
  c1Kernel: 9,
  outKernel: 9,
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

/** An integer arch field, worded `an integer in [min, max]` as the arch errors always were. */
const archInteger = (value: unknown, path: string, min: number, max: number): number => checkInteger(value, path, min, max, `an integer in [${min}, ${max}]`);

/** An arch given as an object, or none (the defaults). */
const archObject = (value: unknown, path: string): Record<string, unknown> => (value === undefined ? {} : plainObject(value, path));

function checkOddKernel(value: unknown, path: string): number {
  const k = archInteger(value, path, 1, MAX_KERNEL);
  if (k % 2 === 0) throw optionRangeError(path, `an odd integer in [1, ${MAX_KERNEL}] (a centred kernel)`, k);
  return k;
}

/**
 * Merges a partial style arch over DEFAULT_STYLE_ARCH and validates it. The
 * `ml5` variant defaults to (and requires) `upsample: 'transpose'`.
 * @example resolveStyleArch({ width: 0.5, upsample: 'transpose' })
 * @throws TypeError / RangeError with code E_OPTIONS naming `arch.<key>`.
 */
export function resolveStyleArch(partial?: Partial<StyleArch>, path = 'arch'): StyleArch {
  const input = archObject(partial, path);
  checkKnownKeys(input, path, Object.keys(DEFAULT_STYLE_ARCH));
  if (input.task !== undefined) checkOneOf(input.task, `${path}.task`, ['style']);
  const variant = checkOneOf(input.variant ?? DEFAULT_STYLE_ARCH.variant, `${path}.variant`, ['johnson', 'ml5']);
  const width = input.width ?? DEFAULT_STYLE_ARCH.width;
  if (typeof width !== 'number') throw optionTypeError(`${path}.width`, `a number in (0, ${MAX_WIDTH}]`, width);
  // round(32 w) >= 1 keeps every layer at least one channel wide.
  if (!Number.isFinite(width) || Math.round(32 * width) < 1 || width > MAX_WIDTH) {
    throw optionRangeError(`${path}.width`, `a number in [1/64, ${MAX_WIDTH}] (channels are round(32 w), round(64 w), round(128 w))`, width);
  }
  const residualBlocks = archInteger(input.residualBlocks ?? DEFAULT_STYLE_ARCH.residualBlocks, `${path}.residualBlocks`, 0, MAX_BLOCKS);
  const upsample = checkOneOf(input.upsample ?? (variant === 'ml5' ? 'transpose' : DEFAULT_STYLE_ARCH.upsample), `${path}.upsample`, ['resize', 'transpose']);
  if (variant === 'ml5' && upsample !== 'transpose') {
    throw optionRangeError(`${path}.upsample`, "'transpose' for the ml5 variant (its checkpoints use transposed convs)", upsample);
  }
  const c1Kernel = checkOddKernel(input.c1Kernel ?? DEFAULT_STYLE_ARCH.c1Kernel, `${path}.c1Kernel`);
  const outKernel = checkOddKernel(input.outKernel ?? DEFAULT_STYLE_ARCH.outKernel, `${path}.outKernel`);
  if (variant === 'ml5' && (c1Kernel !== 9 || outKernel !== 9)) {
    throw optionRangeError(`${path}.${c1Kernel !== 9 ? 'c1Kernel' : 'outKernel'}`, '9 for the ml5 variant (its checkpoints use 9x9 first and last convs)', c1Kernel !== 9 ? c1Kernel : outKernel);
  }
  return Object.freeze({ task: 'style', variant, width, residualBlocks, upsample, c1Kernel, outKernel });
}

/**
 * Merges a partial SR arch over DEFAULT_SR_ARCH (over SHUFFLE_SR_DEFAULTS
 * too for `upsample: 'shuffle'`) and validates it.
 * @example resolveSrArch({ scale: 8 })
 * @example resolveSrArch({ upsample: 'shuffle', filters: 32 }) // c1Kernel 5, outKernel 3, skip bicubic
 * @throws TypeError / RangeError with code E_OPTIONS naming `arch.<key>`.
 */
export function resolveSrArch(partial?: Partial<SrArch>, path = 'arch'): SrArch {
  const input = archObject(partial, path);
  checkKnownKeys(input, path, Object.keys(DEFAULT_SR_ARCH));
  if (input.task !== undefined) checkOneOf(input.task, `${path}.task`, ['sr']);
  const scale = checkOneOf(input.scale ?? DEFAULT_SR_ARCH.scale, `${path}.scale`, [2, 4, 8]);
  const filters = archInteger(input.filters ?? DEFAULT_SR_ARCH.filters, `${path}.filters`, 1, MAX_FILTERS);
  const residualBlocks = archInteger(input.residualBlocks ?? DEFAULT_SR_ARCH.residualBlocks, `${path}.residualBlocks`, 0, MAX_BLOCKS);
  const upsample = checkOneOf(input.upsample ?? DEFAULT_SR_ARCH.upsample, `${path}.upsample`, ['resize', 'transpose', 'shuffle']);
  const defaults = upsample === 'shuffle' ? { ...DEFAULT_SR_ARCH, ...SHUFFLE_SR_DEFAULTS } : DEFAULT_SR_ARCH;
  const c1Kernel = checkOddKernel(input.c1Kernel ?? defaults.c1Kernel, `${path}.c1Kernel`);
  const outKernel = checkOddKernel(input.outKernel ?? defaults.outKernel, `${path}.outKernel`);
  const skip = checkOneOf(input.skip ?? defaults.skip, `${path}.skip`, ['bicubic', 'bilinear', 'nearest', 'none']);
  return Object.freeze({ task: 'sr', scale, filters, residualBlocks, upsample, c1Kernel, outKernel, skip });
}

/**
 * Validates a full arch of either task (dispatch on `task`).
 * @throws TypeError / RangeError E_OPTIONS
 */
export function resolveArch(arch: Partial<TransformArch> & { task: TransformArch['task'] }, path = 'arch'): TransformArch {
  const task = checkOneOf(archObject(arch, path).task, `${path}.task`, ['style', 'sr']);
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
