/**
 * @file The training loop (Johnson et al. section 3): a run directory with
 * config, a JSONL loss log, periodic atomic checkpoints (parameters, Adam
 * state, dataset position), previews of a fixed validation set, exact
 * resume, stop on abort (after a checkpoint) and on a non-finite loss
 * (naming the term), and the final model written with saveModel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Variable } from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { optionRangeError, perceptualError } from '../errors.js';
import { checkInteger } from '../validate.js';
import { loadCenterCrops } from '../data/center-crop.js';
import { openImageDataset, type ImageDataset } from '../data/dataset.js';
import { degradeForSr, type PlainBatch } from '../data/sr-degradation.js';
import { resolvePerceptualLossOptions, styleTargets, type PerceptualLossNumbers } from '../losses/perceptual.js';
import { initParams } from '../networks/init.js';
import type { LossNetwork, TransformArch, TransformModel } from '../types.js';
import { loadModel, saveModel } from '../weights/model-file.node.js';
import { type CheckpointData, loadLatestCheckpoint, saveCheckpoint } from './checkpoint.js';
import { loadRunLossNetwork, loadStyleImage, lossNeedsNetwork, NO_LOSS_NETWORK } from './run-inputs.js';
import { writePreview } from './preview.js';
import { runArch, runProvenance } from './run-model.js';
import { appendLog, readRunConfig, truncateLog, writeRunConfig } from './run-dir.js';
import { restoreAdam, snapshotAdam } from './adam-state.js';
import { checkResumeIterations, checkResumeOptions } from './resume-options.js';
import { learningRateAt, resolveTrainOptions, resolveWorkers, type ResolvedTrainOptions, totalSteps, type TrainOptions } from './train-options.js';
import { trainStep, type TrainStepContext } from './train-step.js';
import { type DataParallelTrainer, startDataParallel } from './data-parallel.node.js';
import { DISTILL_CROPS_PER_IMAGE, loadTeacher, teacherTarget } from './teacher.js';

/** Events a caller (the CLI's progress display, tests) receives. */
export type TrainEvent =
  | { type: 'start'; step: number; total: number; datasetSize: number; skipped: number; arch: TransformArch; lossNetwork: string; resumedFrom: string | null; workers: number }
  | { type: 'step'; step: number; total: number; epoch: number; lr: number; loss: PerceptualLossNumbers; stepMs: number; imagesPerSec: number; numTensors: number }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'preview'; step: number; path: string }
  | { type: 'warning'; message: string };

/** Programmatic hooks; none is stored in config.json. */
export interface TrainHooks {
  /** Aborting stops after the current step, writes a checkpoint and resolves with `interrupted`. */
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** Use this loss network instead of loading `options.lossNetwork` (tests, benchmarks). Not disposed. */
  lossNetwork?: LossNetwork;
  /** Use this style image (float32 NHWC [1,H,W,3]) instead of reading `options.style`. */
  styleImage?: PlainBatch;
  /** Stop (with a checkpoint, status `interrupted`) once this step is reached. */
  stopAtStep?: number;
}

export interface TrainResult {
  readonly status: 'completed' | 'interrupted';
  readonly step: number;
  readonly total: number;
  /** The final model file (only when completed). */
  readonly modelPath: string | null;
  readonly lastLoss: PerceptualLossNumbers | null;
  /** Wall time of this call, and the steps it ran (a resumed call runs only the rest). */
  readonly seconds: number;
  readonly stepsRun: number;
  /** Mean step time over this call's steps (ms), data loading included, and the images/s it gives. */
  readonly meanStepMs: number | null;
  readonly imagesPerSec: number | null;
}

/**
 * Trains a new run in `runDir` (created; must not hold a run already).
 * @throws TypeError/RangeError E_OPTIONS, PerceptualError E_DATASET / E_NON_FINITE_LOSS / E_CHECKPOINT
 */
export async function train(options: TrainOptions, runDir: string, hooks: TrainHooks = {}): Promise<TrainResult> {
  const resolved = resolveTrainOptions(options);
  await mkdir(runDir, { recursive: true });
  const existing = await loadLatestCheckpoint(runDir, () => {}).catch(() => ({ checkpoint: null }));
  if (existing !== null) {
    throw perceptualError('E_CHECKPOINT', `${runDir} already holds a training run. Continue it with --resume ${runDir}, or choose another --run-dir.`);
  }
  await writeRunConfig(runDir, resolved);
  return run(resolved, runDir, null, hooks);
}

/**
 * Continues the run in `runDir` from its newest valid checkpoint, exactly as
 * if it had not stopped. Only `given.iterations` may change the run (extend
 * or shorten it, not below the step reached), and `given.workers` how it runs;
 * any other option given must equal its config.json (the CLI passes every flag given with --resume).
 * @throws PerceptualError E_CHECKPOINT when the run directory has no config;
 *   RangeError E_OPTIONS naming each option that differs from config.json, or
 *   for iterations below the step reached
 */
export async function resumeTraining(runDir: string, given: TrainOptions = {}, hooks: TrainHooks = {}): Promise<TrainResult> {
  const config = await readRunConfig(runDir);
  let resolved = config.options;
  checkResumeOptions(runDir, resolved, given);
  const warn = (message: string) => hooks.onEvent?.({ type: 'warning', message });
  const latest = await loadLatestCheckpoint(runDir, warn);
  if (given.iterations !== undefined) {
    checkInteger(given.iterations, 'iterations (--iterations)', 1);
    checkResumeIterations(runDir, given.iterations, latest?.checkpoint.step ?? 0);
    resolved = { ...resolved, iterations: given.iterations, epochs: null };
  }
  if (given.workers !== undefined) resolved = { ...resolved, workers: resolveWorkers(given.workers, resolved.batchSize) };
  if (resolved !== config.options) await writeRunConfig(runDir, resolved, config.created);
  return run(resolved, runDir, latest, hooks);
}

async function run(options: ResolvedTrainOptions, runDir: string, latest: { checkpoint: CheckpointData; path: string } | null, hooks: TrainHooks): Promise<TrainResult> {
  if (options.workers > 1 && hooks.lossNetwork !== undefined) {
    throw optionRangeError('hooks.lossNetwork', 'absent with options.workers > 1, since worker threads load their own loss network: name it with options.lossNetwork and options.lossWeights', hooks.lossNetwork.name);
  }
  const started = Date.now();
  const emit = hooks.onEvent ?? (() => {});
  const warn = (message: string) => emit({ type: 'warning', message });
  const arch = runArch(options);
  const checkpoint = latest?.checkpoint ?? null;
  const disposables: tf.Tensor[] = [];
  const teacher = options.task === 'distill' ? await loadTeacher(options.teacher!) : null;
  if (teacher) disposables.push(...Object.values(teacher.params));
  const dataset = await openImageDataset({
    roots: options.data, size: options.imageSize, batchSize: options.batchSize, seed: options.seed, flip: options.flip,
    minSide: options.task === 'sr' ? Math.ceil(options.imageSize / 2) : Math.min(32, options.imageSize), warn, state: checkpoint?.dataset,
    ...(teacher ? { cropsPerImage: DISTILL_CROPS_PER_IMAGE, pairedTarget: teacherTarget(teacher, options.teacherMargin) } : {}),
  }).catch((error: unknown) => {
    tf.dispose(disposables);
    throw error;
  });
  const total = totalSteps(options, dataset.entries.length);
  const ownNetwork = hooks.lossNetwork === undefined;
  // A pixel/TV-only loss (the SR pixel baseline) runs without a loss network, so it needs no VGG weights.
  const pixelOnly = hooks.lossNetwork === undefined && !lossNeedsNetwork(options.loss);
  const styleImage = () => hooks.styleImage ?? loadStyleImage(options.style!, options.styleSize, { onWarning: warn });
  let parallel: DataParallelTrainer | null = null;
  let network: LossNetwork = NO_LOSS_NETWORK;
  let variables: Record<string, Variable> = {};
  const optimizer = tf.train.adam(options.lr);
  try {
    // With workers, they hold the loss network and the style targets; this thread needs only the network's name and taps.
    const parallelStyle = options.task === 'style' && !pixelOnly ? await styleImage() : null;
    parallel = options.workers > 1 ? await startDataParallel({ options, arch, runDir, styleImage: parallelStyle }) : null;
    network = parallel?.network ?? hooks.lossNetwork ?? (pixelOnly ? NO_LOSS_NETWORK : await loadRunLossNetwork(options));
    const loss = resolvePerceptualLossOptions(pixelOnly ? { ...options.loss, contentLayers: [], styleLayers: [] } : options.loss, network.taps);
    let styleGrams: Record<string, Tensor3D> | undefined;
    if (!parallel && options.task === 'style' && loss.styleLayers.length > 0) {
      const styleBatch = await styleImage();
      const styleTensor = tf.tensor4d(styleBatch.data, [...styleBatch.shape]);
      styleGrams = styleTargets(network, styleTensor, loss.styleLayers);
      styleTensor.dispose();
      disposables.push(...Object.values(styleGrams));
    }
    variables = createVariables(arch, options.seed, checkpoint ?? (await initialParams(options.init, arch)));
    if (checkpoint) await restoreAdam(optimizer, variables, checkpoint);
    const model: TransformModel = { arch, params: variables, provenance: {} };
    const previewInputs = await previewBatch(options, dataset, arch);
    if (previewInputs) disposables.push(previewInputs);
    let step = checkpoint?.step ?? 0;
    let lastLoss: PerceptualLossNumbers | null = null;
    const firstStep = step;
    let stepMsSum = 0;
    const summary = (status: TrainResult['status'], modelPath: string | null): TrainResult => ({
      status, step, total, modelPath, lastLoss, seconds: (Date.now() - started) / 1000,
      stepsRun: step - firstStep,
      meanStepMs: step > firstStep ? stepMsSum / (step - firstStep) : null,
      imagesPerSec: step > firstStep ? (options.batchSize * 1000 * (step - firstStep)) / stepMsSum : null,
    });
    if (checkpoint) await truncateLog(runDir, step);
    emit({ type: 'start', step, total, datasetSize: dataset.entries.length, skipped: dataset.summary.skipped.length, arch, lossNetwork: `${network.name} (${network.source})`, resumedFrom: latest?.path ?? null, workers: options.workers });
    const context = { arch, variables, network, loss, styleGrams, optimizer };
    const save = async () => {
      const path = await saveCheckpoint(runDir, await snapshotCheckpoint(step, variables, optimizer, dataset), options.keepCheckpoints);
      emit({ type: 'checkpoint', step, path });
    };
    while (step < total) {
      if (hooks.signal?.aborted || (hooks.stopAtStep !== undefined && step >= hooks.stopAtStep)) {
        await save();
        return summary('interrupted', null);
      }
      const t0 = performance.now();
      const epoch = dataset.epoch;
      const batch = await dataset.next();
      // Style: the crops are input and content target; SR: they are the HR target of their degraded copy; distill: the student's
      // input, and the teacher's output on each crop (teacher.ts) its target.
      const input = arch.task === 'sr' ? degradeForSr(batch, arch.scale, options.degradation) : batch;
      const target = batch.target ? { shape: batch.shape, data: batch.target } : batch;
      const lr = learningRateAt(options, step);
      (optimizer as unknown as { learningRate: number }).learningRate = lr; // Adam reads it on every applyGradients.
      lastLoss = parallel ? await parallel.step(input, target, step, variables, optimizer) : await localStep(context, input, target, step);
      step += 1;
      const stepMs = performance.now() - t0;
      stepMsSum += stepMs;
      const imagesPerSec = (options.batchSize * 1000) / stepMs;
      await appendLog(runDir, { step, epoch, lr, loss: lastLoss, stepMs, imagesPerSec, time: new Date().toISOString() });
      emit({ type: 'step', step, total, epoch, lr, loss: lastLoss, stepMs, imagesPerSec, numTensors: tf.memory().numTensors });
      if (step % options.checkpointEvery === 0 && step < total) await save();
      if (previewInputs && options.previewEvery > 0 && (step % options.previewEvery === 0 || step === total)) {
        emit({ type: 'preview', step, path: await writePreview(runDir, step, model, previewInputs) });
      }
    }
    await save();
    await saveModel(options.out, { arch, params: variables, provenance: runProvenance(options, `${network.name} (${network.source})`) }, { dtype: options.dtype });
    return summary('completed', options.out);
  } finally {
    await parallel?.close();
    optimizer.dispose();
    tf.dispose(Object.values(variables));
    tf.dispose(disposables);
    if (ownNetwork) network.dispose();
  }
}

function tensorOf(batch: PlainBatch): tf.Tensor4D {
  return tf.tensor4d(batch.data, [...batch.shape]);
}

/** One step in this thread (`workers` 1): the batch as tensors for trainStep. */
async function localStep(context: TrainStepContext, input: PlainBatch, target: PlainBatch, step: number): Promise<PerceptualLossNumbers> {
  const x = tensorOf(input);
  const y = target === input ? x : tensorOf(target);
  try {
    return await trainStep(context, x, y, step);
  } finally {
    tf.dispose([...new Set([x, y])]);
  }
}

let runCounter = 0;

/**
 * The parameters of `--init MODEL` as plain arrays, after checking that the
 * model has the architecture of this run (fine-tuning changes the loss, not the network).
 * @throws RangeError E_OPTIONS when the architectures differ
 */
async function initialParams(path: string | null, arch: TransformArch): Promise<Pick<CheckpointData, 'params'> | null> {
  if (path === null) return null;
  const model = await loadModel(path);
  try {
    if (JSON.stringify(model.arch) !== JSON.stringify(arch)) {
      throw optionRangeError(
        'options.init (--init)',
        `a model with this run's architecture ${JSON.stringify(arch)}, but it has ${JSON.stringify(model.arch)}; pass the model's --width/--residual-blocks/--upsample/--c1-kernel/--out-kernel (or --filters/--scale)`,
        path,
      );
    }
    const params: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
    for (const [name, value] of Object.entries(model.params)) params[name] = { shape: value.shape, data: (await value.data()) as Float32Array };
    return { params };
  } finally {
    tf.dispose(Object.values(model.params));
  }
}

/** Trainable variables from a checkpoint (or --init model) or a seeded init; names are unique per run. */
function createVariables(arch: TransformArch, seed: number, checkpoint: Pick<CheckpointData, 'params'> | null): Record<string, Variable> {
  const prefix = `perceptual-train-${++runCounter}`;
  const variables: Record<string, Variable> = {};
  const initial = checkpoint ? null : initParams(arch, seed);
  try {
    const names = initial ? Object.keys(initial) : Object.keys(checkpoint!.params);
    for (const name of names) {
      const value = initial ? initial[name]! : tf.tensor(checkpoint!.params[name]!.data, [...checkpoint!.params[name]!.shape]);
      variables[name] = tf.variable(value, true, `${prefix}/${name}`);
      if (!initial) value.dispose();
    }
  } finally {
    if (initial) tf.dispose(Object.values(initial));
  }
  return variables;
}

async function snapshotCheckpoint(step: number, variables: Record<string, Variable>, optimizer: tf.AdamOptimizer, dataset: ImageDataset): Promise<CheckpointData> {
  const params: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, v] of Object.entries(variables)) params[name] = { shape: v.shape, data: (await v.data()) as Float32Array };
  const adam = await snapshotAdam(optimizer, Object.keys(variables));
  return { step, dataset: dataset.getState(), params, ...adam };
}

async function previewBatch(options: ResolvedTrainOptions, dataset: ImageDataset, arch: TransformArch): Promise<tf.Tensor4D | null> {
  if (options.previewEvery === 0 || options.previewCount === 0) return null;
  const paths = dataset.entries.slice(0, options.previewCount).map((e) => e.path);
  const crops = await loadCenterCrops(paths, options.imageSize);
  return tensorOf(arch.task === 'sr' ? degradeForSr(crops, arch.scale, options.degradation) : crops);
}

