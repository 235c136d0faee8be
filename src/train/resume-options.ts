/**
 * @file What a resumed run may change. A checkpoint holds parameters and Adam
 * state trained under one config.json; any other crop size, learning rate,
 * architecture or loss would either fail to load or silently continue a
 * different run than the one asked for. So only `iterations` may change on
 * resume (never below the step reached), and every other option given with it
 * must equal what config.json holds; `workers` also may change, since how
 * many threads share a batch changes nothing but float rounding.
 */
import { optionRangeError } from '../errors.js';
import { DEFAULT_PERCEPTUAL_LOSS_OPTIONS, type PerceptualLossOptions } from '../losses/perceptual-options.js';
import { resolveSrArch, resolveStyleArch } from '../networks/arch.js';
import type { SrArch, StyleArch } from '../types.js';
import type { ResolvedTrainOptions, TrainOptions } from './train-options.js';

/** One option given on resume whose value differs from the run's. */
export interface ResumeConflict {
  /** The option path: `imageSize`, `arch.width`, `loss.contentWeight`. */
  readonly option: string;
  /** The command-line flag that sets it (`--image-size`). */
  readonly flag: string;
  readonly saved: unknown;
  readonly given: unknown;
}

/** Flags whose name is not the option's in kebab case. */
const FLAG_EXCEPTIONS: Readonly<Record<string, string>> = Object.freeze({
  task: 'the task (train style|sr|distill)',
  flip: '--no-flip',
  lossWeights: '--weights',
  'loss.contentLayerWeights': '--layer-weights',
  'loss.styleLayerWeights': '--layer-weights',
});

function flagOf(option: string): string {
  return FLAG_EXCEPTIONS[option] ?? `--${option.replace(/^(arch|loss)\./, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Order-sensitive deep equality of JSON values (config.json round-trips through JSON). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The options in `given` (those defined, `iterations` and `workers` excepted) whose values
 * differ from the run's resolved options `saved`. Architecture and loss
 * fields are compared after filling in their defaults, so repeating a default
 * (`--width 1` on a run that left it out) is no conflict.
 */
export function resumeConflicts(saved: ResolvedTrainOptions, given: TrainOptions): ResumeConflict[] {
  const conflicts: ResumeConflict[] = [];
  const add = (option: string, savedValue: unknown, givenValue: unknown) => {
    if (!same(savedValue, givenValue)) conflicts.push({ option, flag: flagOf(option), saved: savedValue, given: givenValue });
  };
  for (const [key, value] of Object.entries(given) as [keyof TrainOptions, unknown][]) {
    if (value === undefined || key === 'iterations' || key === 'workers' || key === 'arch' || key === 'loss') continue;
    add(key, saved[key as keyof ResolvedTrainOptions], key === 'data' && typeof value === 'string' ? [value] : value);
  }
  const givenArch = Object.entries(given.arch ?? {}).filter(([, value]) => value !== undefined);
  if (givenArch.length > 0) {
    const resolve = (arch: object) => (saved.task === 'sr' ? resolveSrArch(arch as Partial<SrArch>, 'options.arch') : resolveStyleArch(arch as Partial<StyleArch>, 'options.arch'));
    const before = resolve(saved.arch) as unknown as Record<string, unknown>;
    const after = resolve({ ...saved.arch, ...Object.fromEntries(givenArch) }) as unknown as Record<string, unknown>;
    for (const [key] of givenArch) add(`arch.${key}`, before[key], after[key]);
  }
  for (const [key, value] of Object.entries(given.loss ?? {}) as [keyof PerceptualLossOptions, unknown][]) {
    if (value === undefined) continue;
    add(`loss.${key}`, lossValue(saved.loss, key, saved.loss[key]), lossValue(saved.loss, key, value));
  }
  return conflicts;
}

/** A loss option with its default filled in; per-layer weights as one entry per layer of the run (absent layers weigh 1). */
function lossValue(loss: PerceptualLossOptions, key: keyof PerceptualLossOptions, value: unknown): unknown {
  if (key === 'contentLayerWeights' || key === 'styleLayerWeights') {
    const layers = (key === 'contentLayerWeights' ? loss.contentLayers : loss.styleLayers) ?? DEFAULT_PERCEPTUAL_LOSS_OPTIONS[key === 'contentLayerWeights' ? 'contentLayers' : 'styleLayers'];
    const weights = (value ?? {}) as Record<string, number>;
    return Object.fromEntries([...new Set([...layers, ...Object.keys(weights)])].map((layer) => [layer, weights[layer] ?? 1]));
  }
  return value ?? DEFAULT_PERCEPTUAL_LOSS_OPTIONS[key];
}

/**
 * Refuses options given on resume that differ from the run's config.json,
 * naming each flag, its value there and the value given.
 * @throws RangeError E_OPTIONS when any option other than iterations differs
 */
export function checkResumeOptions(runDir: string, saved: ResolvedTrainOptions, given: TrainOptions): void {
  const conflicts = resumeConflicts(saved, given);
  if (conflicts.length === 0) return;
  const list = conflicts.map((c) => `${c.flag} is ${JSON.stringify(c.given)} but the run has ${JSON.stringify(c.saved)}`).join('; ');
  const flags = [...new Set(conflicts.map((c) => c.flag))];
  throw optionRangeError(
    `the options given with --resume ${runDir}`,
    `those of its config.json (${list}); only --iterations may change on resume. Leave ${flags.join(', ')} out to continue the run as it was, or start a new run (another --run-dir) to train with ${flags.length === 1 ? 'it' : 'them'}`,
    flags,
  );
}

/**
 * Refuses an iteration count below the step the run has reached (it would
 * report `step 5/3` and stop without training).
 * @throws RangeError E_OPTIONS naming the current step
 */
export function checkResumeIterations(runDir: string, iterations: number, step: number): void {
  if (iterations < step) {
    throw optionRangeError(
      'options.iterations (--iterations)',
      `at least ${step}, the step the run in ${runDir} has reached (its newest checkpoint); pass --iterations ${step} or more to continue it`,
      iterations,
    );
  }
}
