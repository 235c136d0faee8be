/**
 * @file Options of a training run: the user-facing `TrainOptions`, the
 * per-task defaults, and `resolveTrainOptions`, which validates and merges
 * them once (STYLE "Conventions"). The resolved form is what config.json of
 * a run directory holds, so `--resume` rebuilds exactly the same run.
 */
import { optionRangeError, optionTypeError } from '../errors.js';
import { SR_DEGRADATIONS, type SrDegradation } from '../data/sr-degradation.js';
import type { PerceptualLossOptions } from '../losses/perceptual-options.js';
import { lossRecipe } from './loss-recipes.js';
import { checkInteger, checkOneOf, nonEmptyString, nonNegativeNumber, positiveNumber } from '../validate.js';
import type { SrArch, StyleArch } from '../types.js';

/** The two tasks of the paper, and distillation of a style model into a slimmer one. */
export const TRAIN_TASKS = Object.freeze(['style', 'sr', 'distill'] as const);
export type TrainTask = (typeof TRAIN_TASKS)[number];

export const LOSS_BORDERS = Object.freeze(['zero', 'reflect'] as const);
export type LossBorder = (typeof LOSS_BORDERS)[number];

/**
 * Reflected margin (px) around each distill crop for the teacher: ml5's
 * checkpoints pad with zeros, so their outputs carry coloured stripes along
 * the right and bottom borders, 10-20 px deep, which a student would learn
 * as part of the style. With 32 px of reflected photo around the crop those
 * stripes fall outside it (16 px still left a stripe; bench/RESULTS-distill.md).
 */
export const DEFAULT_TEACHER_MARGIN = 32;

/** What a run trains against and how (everything JSON, so it round-trips through config.json). */
export interface TrainOptions {
  task?: TrainTask;
  /** Folders of training images (searched recursively). */
  data?: string | string[];
  /** Where the final model goes (.safetensors). */
  out?: string;
  /**
   * Distill task: the teacher, a style model file or an ml5 checkpoint folder,
   * whose outputs the student (arch: a style network) learns to reproduce.
   */
  teacher?: string;
  /**
   * Distill task: pixels of reflected photo the teacher sees around each
   * crop, cut from its output (src/train/teacher.ts); default
   * DEFAULT_TEACHER_MARGIN, 0 for the bare crop.
   */
  teacherMargin?: number;
  /** Style image path (style task). */
  style?: string;
  /** Long side (px) the style image is resized to before its Gram targets are computed (default 256). */
  styleSize?: number;
  /** Transform network architecture overrides. */
  arch?: Partial<StyleArch> | Partial<SrArch>;
  /** Loss layers and weights (merged over the task's defaults for the loss network: TASK_DEFAULTS for VGG, src/train/loss-recipes.ts for others). */
  loss?: PerceptualLossOptions;
  /** `vgg16`, `vgg19`, or a folder holding a tfjs layers model (model.json). */
  lossNetwork?: string;
  /** Weights file for a VGG loss network; absent: random weights (seeded), for tests and benchmarks. */
  lossWeights?: string;
  /** Taps of a layers loss network, in order (layer names of model.json). */
  lossTaps?: string[];
  /** Preprocessing of a layers loss network: `identity` ([0,1]), `255` or `minus-one-one`. */
  lossPreprocess?: 'identity' | '255' | 'minus-one-one';
  /**
   * What the loss network sees beyond the image border: `zero` (its own
   * padding, the paper's) or `reflect` (src/networks/reflected-border.ts).
   */
  lossBorder?: LossBorder;
  /** Crop size: style crops (default 256) or SR high-resolution patches (default 288). */
  imageSize?: number;
  /**
   * SR: how LR inputs are made from the HR patches (src/data/sr-degradation.ts):
   * `blur-bicubic` (SPEC section 4, default) or `bicubic` (MATLAB imresize, as the benchmarks' LR images).
   */
  degradation?: SrDegradation;
  batchSize?: number;
  /** Total optimisation steps (wins over epochs). */
  iterations?: number;
  /** Passes over the data, when iterations is not given. */
  epochs?: number;
  lr?: number;
  /** Inverse-time decay: lr_t = lr / (1 + lrDecay * t). */
  lrDecay?: number;
  seed?: number;
  /** Random horizontal flips of the crops. */
  flip?: boolean;
  checkpointEvery?: number;
  /** Checkpoints kept (the newest). */
  keepCheckpoints?: number;
  /** Preview images every N steps (0: never). */
  previewEvery?: number;
  /** How many validation images previews show (the first N dataset files, centre crops). */
  previewCount?: number;
  /** Final model storage type. */
  dtype?: 'F32' | 'F16';
  /**
   * A model file (same task and architecture) whose parameters start the run
   * instead of a random init: fine-tuning, e.g. a new style from a trained one.
   */
  init?: string;
  /**
   * Worker threads sharing each batch (src/train/data-parallel.node.ts), each on its own WASM
   * backend; 1 (default): train in this thread. At most the batch size; may change on resume.
   */
  workers?: number;
}

export interface ResolvedTrainOptions {
  readonly task: TrainTask;
  readonly data: readonly string[];
  readonly out: string;
  readonly style: string | null;
  readonly teacher: string | null;
  /** Distill: see TrainOptions.teacherMargin; 0 for other tasks, and for runs written before it existed (run-dir.ts). */
  readonly teacherMargin: number;
  readonly styleSize: number;
  readonly arch: Partial<StyleArch> | Partial<SrArch>;
  readonly loss: PerceptualLossOptions;
  readonly lossNetwork: string;
  readonly lossWeights: string | null;
  readonly lossTaps: readonly string[] | null;
  readonly lossPreprocess: 'identity' | '255' | 'minus-one-one';
  readonly lossBorder: LossBorder;
  readonly imageSize: number;
  /** SR degradation; config.json files written before it existed resume as `blur-bicubic` (see resumeTraining). */
  readonly degradation: SrDegradation;
  readonly batchSize: number;
  readonly iterations: number | null;
  readonly epochs: number | null;
  readonly lr: number;
  readonly lrDecay: number;
  readonly seed: number;
  readonly flip: boolean;
  readonly checkpointEvery: number;
  readonly keepCheckpoints: number;
  readonly previewEvery: number;
  readonly previewCount: number;
  readonly dtype: 'F32' | 'F16';
  readonly init: string | null;
  /** Data-parallel worker threads; 1 is the single-thread path. Runs written before it existed resume with 1 (run-dir.ts). */
  readonly workers: number;
}

/**
 * Default loss layers and weights under SPEC section 3's normalisations, for
 * VGG-16 with torchvision preprocessing (the paper's layers):
 * - style: content 1 at relu2_2, style 3 summed over relu1_2..relu4_3 (the
 *   losses helper's derivation in src/losses/perceptual-options.ts: the
 *   PyTorch example's 1e5 style/content ratio divided by C_j^2 for the SUM
 *   over Gram entries), TV 1e-2: a natural photo's TV is about 8e-3 under the
 *   mean normalisation (measured on Kodak crops), so the TV term stays near
 *   1e-4, a light smoothing prior like the paper's.
 * - sr: feature 1 at relu2_2 plus TV 1e-2, no pixel term (the paper's SR loss).
 * - distill: pixel 100 plus feature 1 at relu2_2 against the teacher's
 *   output: at 25 dB from the teacher (pixel loss 3e-3) the pixel term is
 *   about 0.3, the size of the feature term between two near-identical images.
 * These are starting points; another loss network needs its own weights,
 * measured from the initial magnitudes of each term (see the removed models/starter-*.md in git history)
 * describe for darknettiny.
 */
export const TASK_DEFAULTS: Readonly<Record<TrainTask, { imageSize: number; loss: PerceptualLossOptions }>> = Object.freeze({
  style: { imageSize: 256, loss: { contentLayers: ['relu2_2'], contentWeight: 1, styleLayers: ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'], styleWeight: 3, tvWeight: 1e-2, tvPower: 2 } },
  sr: { imageSize: 288, loss: { contentLayers: ['relu2_2'], contentWeight: 1, styleLayers: [], styleWeight: 0, tvWeight: 1e-2, tvPower: 2, pixelWeight: 0 } },
  distill: { imageSize: 256, loss: { contentLayers: ['relu2_2'], contentWeight: 1, styleLayers: [], styleWeight: 0, tvWeight: 0, tvPower: 2, pixelWeight: 100 } },
});

/** Paper defaults (Johnson et al. section 4): batch 4, Adam lr 1e-3, 40k iterations. */
export const DEFAULT_TRAIN_OPTIONS = Object.freeze({
  batchSize: 4,
  iterations: 40_000,
  lr: 1e-3,
  lrDecay: 0,
  seed: 0,
  flip: true,
  styleSize: 256,
  lossNetwork: 'vgg16',
  lossPreprocess: 'identity' as const,
  checkpointEvery: 500,
  keepCheckpoints: 3,
  previewEvery: 500,
  previewCount: 4,
  dtype: 'F16' as const,
  workers: 1,
});

/**
 * `given` over the task's default loss. The defaults' per-layer weights belong
 * to the defaults' layers: where `given` lists its own layers and no weights
 * for them, the defaults' weights are kept only for layers still listed, so
 * `--style-layers` alone is checked against the loss network's taps rather
 * than refused for a weight keyed by a recipe layer the user never named.
 */
function mergeLoss(defaults: PerceptualLossOptions, given: PerceptualLossOptions): PerceptualLossOptions {
  const merged = { ...defaults, ...given };
  const keep = (weights: Record<string, number>, layers: readonly string[]) => Object.fromEntries(Object.entries(weights).filter(([layer]) => layers.includes(layer)));
  if (given.contentLayers && !given.contentLayerWeights && defaults.contentLayerWeights) merged.contentLayerWeights = keep(defaults.contentLayerWeights, given.contentLayers);
  if (given.styleLayers && !given.styleLayerWeights && defaults.styleLayerWeights) merged.styleLayerWeights = keep(defaults.styleLayerWeights, given.styleLayers);
  return merged;
}

/**
 * Validates and merges training options over the task's defaults.
 * Loss layers are checked against the loss network later (when it is loaded).
 * @throws TypeError / RangeError E_OPTIONS naming the option and how to fix it
 */
export function resolveTrainOptions(options: TrainOptions): ResolvedTrainOptions {
  const task = checkOneOf(options.task, 'options.task', TRAIN_TASKS);
  const defaults = TASK_DEFAULTS[task];
  const dataList = options.data === undefined ? [] : typeof options.data === 'string' ? [options.data] : [...options.data];
  if (dataList.length === 0) throw optionTypeError('options.data (--data)', 'one or more folders of training images', options.data);
  dataList.forEach((d, i) => nonEmptyString(d, `options.data[${i}]`));
  const out = nonEmptyString(options.out, 'options.out (--out)');
  if (task === 'style' && (options.style === undefined || options.style === '')) {
    throw optionTypeError('options.style (--style)', 'the path of a style image', options.style);
  }
  if (task !== 'style' && options.style !== undefined) throw optionRangeError('options.style', `absent for the ${task} task`, options.style);
  if (task === 'distill' && (options.teacher === undefined || options.teacher === '')) {
    throw optionTypeError('options.teacher (--teacher)', 'a style model file or an ml5 checkpoint folder to learn from', options.teacher);
  }
  if (task !== 'distill' && options.teacher !== undefined) throw optionRangeError('options.teacher (--teacher)', `absent for the ${task} task (only distill has a teacher)`, options.teacher);
  if (task !== 'distill' && options.teacherMargin !== undefined) throw optionRangeError('options.teacherMargin (--teacher-margin)', `absent for the ${task} task (only distill has a teacher)`, options.teacherMargin);
  const teacherMargin = task === 'distill' ? checkInteger(options.teacherMargin ?? DEFAULT_TEACHER_MARGIN, 'options.teacherMargin (--teacher-margin)', 0, 256) : 0;
  const iterations = options.iterations === undefined ? null : checkInteger(options.iterations, 'options.iterations', 1);
  const epochs = options.epochs === undefined ? null : checkInteger(options.epochs, 'options.epochs', 1);
  const lr = positiveNumber(options.lr ?? DEFAULT_TRAIN_OPTIONS.lr, 'options.lr (--lr)');
  const seed = checkInteger(options.seed ?? DEFAULT_TRAIN_OPTIONS.seed, 'options.seed (--seed)');
  const dtype = checkOneOf(options.dtype ?? DEFAULT_TRAIN_OPTIONS.dtype, 'options.dtype', ['F32', 'F16'] as const);
  const degradation = checkOneOf(options.degradation ?? SR_DEGRADATIONS[0], 'options.degradation (--degradation)', SR_DEGRADATIONS);
  if (task !== 'sr' && options.degradation !== undefined) throw optionRangeError('options.degradation (--degradation)', `absent for the ${task} task`, options.degradation);
  const lossPreprocess = checkOneOf(options.lossPreprocess ?? DEFAULT_TRAIN_OPTIONS.lossPreprocess, 'options.lossPreprocess', ['identity', '255', 'minus-one-one'] as const);
  const lossBorder = checkOneOf(options.lossBorder ?? 'zero', 'options.lossBorder (--loss-border)', LOSS_BORDERS);
  const lossNetwork = nonEmptyString(options.lossNetwork ?? DEFAULT_TRAIN_OPTIONS.lossNetwork, 'options.lossNetwork (--loss-network)');
  const batchSize = checkInteger(options.batchSize ?? DEFAULT_TRAIN_OPTIONS.batchSize, 'options.batchSize (--batch-size)', 1);
  const resolved: ResolvedTrainOptions = {
    task,
    data: dataList,
    out,
    style: options.style ?? null,
    teacher: options.teacher ?? null,
    teacherMargin,
    styleSize: checkInteger(options.styleSize ?? DEFAULT_TRAIN_OPTIONS.styleSize, 'options.styleSize (--style-size)', 1),
    arch: { ...(options.arch ?? {}) },
    loss: mergeLoss(lossRecipe(task, lossNetwork) ?? defaults.loss, options.loss ?? {}),
    lossNetwork,
    lossWeights: options.lossWeights ?? null,
    lossTaps: options.lossTaps ? [...options.lossTaps] : null,
    lossPreprocess,
    lossBorder,
    imageSize: checkInteger(options.imageSize ?? defaults.imageSize, 'options.imageSize (--image-size)', 1),
    degradation,
    batchSize,
    iterations: iterations ?? (epochs === null ? DEFAULT_TRAIN_OPTIONS.iterations : null),
    epochs,
    lr,
    lrDecay: nonNegativeNumber(options.lrDecay ?? DEFAULT_TRAIN_OPTIONS.lrDecay, 'options.lrDecay (--lr-decay)'),
    seed,
    flip: options.flip ?? DEFAULT_TRAIN_OPTIONS.flip,
    checkpointEvery: checkInteger(options.checkpointEvery ?? DEFAULT_TRAIN_OPTIONS.checkpointEvery, 'options.checkpointEvery (--checkpoint-every)', 1),
    keepCheckpoints: checkInteger(options.keepCheckpoints ?? DEFAULT_TRAIN_OPTIONS.keepCheckpoints, 'options.keepCheckpoints', 1),
    previewEvery: checkInteger(options.previewEvery ?? DEFAULT_TRAIN_OPTIONS.previewEvery, 'options.previewEvery (--preview-every)', 0),
    previewCount: checkInteger(options.previewCount ?? DEFAULT_TRAIN_OPTIONS.previewCount, 'options.previewCount', 0),
    dtype,
    init: options.init === undefined ? null : nonEmptyString(options.init, 'options.init (--init)'),
    workers: resolveWorkers(options.workers, batchSize),
  };
  if (task === 'sr') {
    const scale = (resolved.arch as Partial<SrArch>).scale ?? 4;
    if (resolved.imageSize % scale !== 0) throw optionRangeError('options.imageSize (--image-size)', `a multiple of the scale ${scale} (e.g. 288)`, resolved.imageSize);
  }
  return resolved;
}

/**
 * Checks `options.workers` against the batch it splits (also on resume, where it may change).
 * @returns the worker count, 1 when absent
 * @throws TypeError / RangeError E_OPTIONS for a non-integer, below 1, or above the batch size
 */
export function resolveWorkers(workers: unknown, batchSize: number): number {
  const path = 'options.workers (--workers)';
  if (workers === undefined) return DEFAULT_TRAIN_OPTIONS.workers;
  const count = checkInteger(workers, path, 1, Infinity, 'a positive integer, the number of worker threads that share each batch (1: train in this thread)');
  if (count > batchSize) {
    throw optionRangeError(path, `at most the batch size ${batchSize}, since each worker takes a contiguous part of every batch; lower --workers or raise --batch-size`, count);
  }
  return count;
}

/** The total number of steps of a run: iterations, or epochs x batches per epoch. */
export function totalSteps(options: ResolvedTrainOptions, datasetSize: number): number {
  if (options.iterations !== null) return options.iterations;
  return Math.max(1, Math.ceil(((options.epochs ?? 1) * datasetSize) / options.batchSize));
}

/** The learning rate at step t (0-based): lr / (1 + lrDecay * t). */
export function learningRateAt(options: Pick<ResolvedTrainOptions, 'lr' | 'lrDecay'>, step: number): number {
  return options.lr / (1 + options.lrDecay * step);
}
