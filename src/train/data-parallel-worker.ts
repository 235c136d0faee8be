/**
 * @file The worker side of data-parallel training (data-parallel.node.ts):
 * what one worker thread holds (the transform network's parameters as its
 * own variables, the loss network, the style targets) and what it does each
 * step: read the parameters the main thread published in shared memory,
 * compute the loss and the gradients of its part of the batch, and write
 * the gradients into its own row of shared memory. It applies no update:
 * the main thread owns the optimizer, so checkpoints and resume stay as they are.
 *
 * The messages and the shared buffers are declared here, where they are
 * read, and workers/train.node.ts is only the thread's entry point.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Variable } from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';
import type { PlainBatch } from '../data/sr-degradation.js';
import { resolvePerceptualLossOptions, styleTargets, type PerceptualLossNumbers } from '../losses/perceptual.js';
import type { LossNetwork, TransformArch } from '../types.js';
import { loadRunLossNetwork, lossNeedsNetwork, NO_LOSS_NETWORK } from './run-inputs.js';
import type { ResolvedTrainOptions } from './train-options.js';
import { computeGradients, type GradientContext } from './train-step.js';

/** Where one parameter lies in the flat shared buffers (float32 elements). */
export interface ParamSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** What a worker starts with (its workerData). */
export interface TrainWorkerData {
  /** This worker's row of `grads` and cell of `stamps`. */
  readonly index: number;
  readonly workers: number;
  readonly options: ResolvedTrainOptions;
  readonly arch: TransformArch;
  readonly slots: readonly ParamSlot[];
  /** float32 NHWC [1, H, W, 3] in [0, 1] (style task with style layers), else null. */
  readonly styleImage: PlainBatch | null;
  /** float32 [P]: the parameters, written by the main thread before each step. */
  readonly params: SharedArrayBuffer;
  /** float32 [workers x P]: row k holds worker k's gradient of its part's mean loss. */
  readonly grads: SharedArrayBuffer;
  /** int32 [workers + 1]: cell k the step (1-based) whose gradient worker k wrote; cell `workers` the step whose parameters `params` holds. */
  readonly stamps: SharedArrayBuffer;
}

/** One step's work: this worker's part of the batch. */
export interface TrainWorkerTask {
  /** The 0-based step; its parameters are published under stamp step + 1. */
  readonly step: number;
  /** float32 NHWC in [0, 1]: the network's input and the loss's target for this part. */
  readonly input: PlainBatch;
  readonly target: PlainBatch;
}

/** What the loss network is, for the main thread's log and provenance (it never runs there). */
export interface LossNetworkDescription {
  readonly name: string;
  readonly source: string;
  readonly taps: readonly string[];
}

/** A failure sent as a value: errors do not survive postMessage with their code. */
export interface SentError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

/** Every message a worker sends: once `ready` (or `error`), then one `step` (or `error`) per task. */
export type TrainWorkerReply =
  | { readonly kind: 'ready'; readonly network: LossNetworkDescription }
  | { readonly kind: 'step'; readonly numbers: PerceptualLossNumbers; readonly missing: readonly string[]; readonly busyMs: number }
  | { readonly kind: 'error'; readonly error: SentError };

/** A worker's state between steps. */
export interface TrainWorker {
  readonly network: LossNetworkDescription;
  /**
   * Runs one task. `missing` names the parameters the loss does not depend on
   * (their rows are zeroed; the main thread skips them, as tf.variableGrads does);
   * `busyMs` is the task's time in this thread, from reading the parameters to the stamp.
   * @throws PerceptualError E_WORKER_CRASHED when the parameters of this step were not published
   */
  step(task: TrainWorkerTask): Promise<{ numbers: PerceptualLossNumbers; missing: string[]; busyMs: number }>;
}

/** An error as a message value, keeping the name and code the main thread maps. */
export function sendableError(error: unknown): SentError {
  const e = error as { name?: string; code?: unknown; message?: string };
  return { name: e?.name ?? 'Error', ...(typeof e?.code === 'string' ? { code: e.code } : {}), message: e?.message ?? String(error) };
}

/**
 * Loads what the worker holds: the run's loss network (as the single-thread
 * path loads it), the style targets, and its own parameter variables.
 * Call after selectBackend; the tensors live as long as the thread.
 * @throws as loadRunLossNetwork, resolvePerceptualLossOptions and styleTargets
 */
export async function startTrainWorker(data: TrainWorkerData): Promise<TrainWorker> {
  const { options, arch, slots, index, workers } = data;
  // A pixel/TV-only loss runs without a loss network, as in train.ts.
  const pixelOnly = !lossNeedsNetwork(options.loss);
  const network: LossNetwork = pixelOnly ? NO_LOSS_NETWORK : await loadRunLossNetwork(options);
  const loss = resolvePerceptualLossOptions(pixelOnly ? { ...options.loss, contentLayers: [], styleLayers: [] } : options.loss, network.taps);
  let styleGrams: Record<string, Tensor3D> | undefined;
  if (options.task === 'style' && loss.styleLayers.length > 0) {
    if (data.styleImage === null) throw perceptualError('E_OPTIONS', 'A data-parallel style run needs its style image; pass --style.');
    const styleTensor = tf.tensor4d(data.styleImage.data, [...data.styleImage.shape]);
    styleGrams = styleTargets(network, styleTensor, loss.styleLayers);
    styleTensor.dispose();
  }
  const variables: Record<string, Variable> = {};
  for (const slot of slots) variables[slot.name] = tf.tidy(() => tf.variable(tf.zeros([...slot.shape]), true, `perceptual-train-worker/${slot.name}`));
  const context: GradientContext = { arch, variables, network, loss, styleGrams };
  const params = new Float32Array(data.params);
  const total = params.length;
  const row = new Float32Array(data.grads, index * total * Float32Array.BYTES_PER_ELEMENT, total);
  const stamps = new Int32Array(data.stamps);

  return {
    network: { name: network.name, source: network.source, taps: [...network.taps] },
    async step(task) {
      const start = performance.now();
      // Acquire: this load sees the main thread's store, so the parameter writes before it are visible too.
      if (Atomics.load(stamps, workers) !== task.step + 1) {
        throw perceptualError('E_WORKER_CRASHED', `Training worker ${index + 1} was sent step ${task.step + 1} before its parameters were published; this is a bug, please report it.`);
      }
      tf.tidy(() => {
        // A copy: the main thread overwrites `params` for the next step while tensors of this one may still point at it (CPU backend).
        for (const slot of slots) variables[slot.name]!.assign(tf.tensor(params.slice(slot.offset, slot.offset + slot.size), [...slot.shape]));
      });
      const input = tf.tensor4d(task.input.data, [...task.input.shape]);
      const target = tf.tensor4d(task.target.data, [...task.target.shape]);
      const missing: string[] = [];
      try {
        const { numbers, grads } = await computeGradients(context, input, target);
        try {
          for (const slot of slots) {
            const grad = grads[variables[slot.name]!.name];
            if (grad === undefined) {
              missing.push(slot.name);
              row.fill(0, slot.offset, slot.offset + slot.size);
            } else {
              row.set((await grad.data()) as Float32Array, slot.offset);
            }
          }
        } finally {
          tf.dispose(Object.values(grads));
        }
        // Release: the main thread reads this row only after it sees this stamp.
        Atomics.store(stamps, index, task.step + 1);
        return { numbers, missing, busyMs: performance.now() - start };
      } finally {
        tf.dispose([input, target]);
      }
    },
  };
}
