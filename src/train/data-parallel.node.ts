/**
 * @file Data-parallel training on worker threads (`--workers N`, issue 9).
 * Each of N workers (workers/train.node.ts, its own WASM heap) holds the
 * loss network, the style targets and a copy of the transform network, and
 * computes the loss and gradients of a contiguous part of every batch
 * (data-parallel-worker.ts). This thread sums the gradients, weighted by
 * each part's share of the batch (batch-shares.ts: the loss is a mean over
 * the batch, so the weighted sum is the full batch's gradient), and applies
 * ONE update with the run's own Adam optimizer. The optimizer state and the
 * parameters live here only, so checkpoints and resume are those of the
 * single-thread path, and the workers keep nothing between steps.
 *
 * Parameters and gradients travel through SharedArrayBuffers, not
 * postMessage: the parameters are written once per step for every worker
 * (postMessage would clone them once per worker), each worker writes its
 * gradient straight into its own row, and this thread sums the rows where
 * they lie. Messages carry only the batch parts (moved, not copied) and wake
 * the other side; Atomics.wait would block this thread's event loop
 * (signals, progress). A step stamp written with Atomics.store after the
 * plain writes and checked with Atomics.load before the reads orders them
 * (release/acquire in the ECMAScript memory model), which postMessage alone
 * does not promise for shared memory.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Variable } from '@tensorflow/tfjs-core';
import { errorCode, perceptualError } from '../errors.js';
import type { PlainBatch } from '../data/sr-degradation.js';
import type { PerceptualLossNumbers } from '../losses/perceptual.js';
import { transformParamSpecs } from '../networks/transform.js';
import type { LossNetwork, TransformArch } from '../types.js';
import { combineLossNumbers, partShares, partSizes, splitBatch } from './batch-shares.js';
import type { LossNetworkDescription, ParamSlot, SentError, TrainWorkerData, TrainWorkerReply, TrainWorkerTask } from './data-parallel-worker.js';
import type { ResolvedTrainOptions } from './train-options.js';
import { checkFiniteLoss } from './train-step.js';

/** What the workers need to start. */
export interface DataParallelInit {
  /** The run's options; `options.workers` threads are started. */
  readonly options: ResolvedTrainOptions;
  readonly arch: TransformArch;
  /** float32 NHWC [1, H, W, 3] in [0, 1]: the style image (style task), else null. */
  readonly styleImage: PlainBatch | null;
  /** The run directory, named in the error when a worker dies. */
  readonly runDir: string;
}

/** A batch's full loss and gradient, summed from the workers' parts. */
export interface SummedGradients {
  readonly numbers: PerceptualLossNumbers;
  /** Parameter name -> float32 gradient (views valid until the next call). */
  readonly grads: Readonly<Record<string, Float32Array>>;
  /** Parameters the loss does not depend on: no worker computed a gradient for them. */
  readonly missing: ReadonlySet<string>;
}

/**
 * Where the last step's time went, in ms of this thread's clock: what the
 * data-parallel step adds to its workers' own time (bench/train-workers.bench.ts).
 */
export interface StepTimes {
  /** Reading the parameters and publishing them to shared memory. */
  readonly publishMs: number;
  /** Splitting the batch, posting the parts, until the last reply arrived. */
  readonly waitMs: number;
  /** Each active worker's own time on its part (`TrainWorker.step`). */
  readonly busyMs: readonly number[];
  /** Summing the gradient rows. */
  readonly sumMs: number;
  /** Making the gradient tensors and the optimizer update (0 from `gradients`). */
  readonly applyMs: number;
}

/** A running group of training workers. */
export interface DataParallelTrainer {
  readonly workers: number;
  /** The workers' loss network as far as this thread needs it (name, source, taps); running it throws. */
  readonly network: LossNetwork;
  /**
   * The full batch's loss and gradient at the current `variables`, changing nothing.
   * @param input float32 NHWC in [0, 1]: the network's input
   * @param target float32 NHWC in [0, 1]: the loss's target (may be `input` itself)
   * @param step the 0-based step (stamps the shared buffers; named in errors)
   * @throws PerceptualError E_WORKER_CRASHED when a worker dies; a worker's own error with its code
   */
  gradients(input: PlainBatch, target: PlainBatch, step: number, variables: Readonly<Record<string, Variable>>): Promise<SummedGradients>;
  /**
   * One training step: the gradients, then one `optimizer` update when every loss term is finite.
   * @throws as gradients; PerceptualError E_NON_FINITE_LOSS, leaving the parameters unchanged
   */
  step(input: PlainBatch, target: PlainBatch, step: number, variables: Readonly<Record<string, Variable>>, optimizer: tf.Optimizer): Promise<PerceptualLossNumbers>;
  /** Stops the workers. */
  close(): Promise<void>;
  /** The time split of the last `gradients` or `step` call; null before the first. */
  readonly lastStepTimes: StepTimes | null;
}

/** The error of a worker that died: what happened, and that the newest checkpoint stays. */
function workerDiedError(index: number, workers: number, what: string, step: number | null, runDir: string, cause?: unknown): Error {
  return perceptualError(
    'E_WORKER_CRASHED',
    `Training worker ${index + 1} of ${workers} ${what} ${step === null ? 'while starting' : `during step ${step + 1}`}; the run stopped and its newest checkpoint in ${runDir} is kept. ` +
      `Continue it with --resume ${runDir}, with fewer --workers (or a smaller --batch-size or --image-size) if the machine ran out of memory.`,
    cause,
  );
}

/** An error a worker sent as a value, rebuilt here with its code. */
function receivedError(sent: SentError): Error {
  const code = errorCode(sent);
  if (code === undefined) return Object.assign(new Error(sent.message), { name: sent.name });
  return Object.assign(perceptualError(code, sent.message), sent.name === 'TypeError' || sent.name === 'RangeError' ? { name: sent.name } : {});
}

function spawn(data: TrainWorkerData): Worker {
  // The .ts source under tsx (tests, dev), the compiled .js in dist, as src/serve/band-runner.node.ts.
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL(`../../workers/train.node.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(script, { workerData: data });
  return new Worker(new URL('../../workers/import-entry-esm.mjs', import.meta.url), { workerData: { ...data, entry: script.href } });
}

/** One worker and its next reply; a death rejects the reply awaited (or the next one asked for). */
class Channel {
  private pending: { resolve: (reply: TrainWorkerReply) => void; reject: (error: Error) => void } | null = null;
  private died: { what: string; cause?: unknown } | null = null;
  private step: number | null = null;
  closing = false;

  constructor(readonly worker: Worker, private readonly index: number, private readonly workers: number, private readonly runDir: string) {
    worker.on('message', (reply: TrainWorkerReply) => {
      const pending = this.pending;
      this.pending = null;
      pending?.resolve(reply);
    });
    worker.on('error', (error) => this.fail(`threw ${error.message}`, error));
    worker.on('exit', (code) => this.fail(`exited (code ${code})`));
  }

  /** The next reply, for `step` (null: the ready message). */
  next(step: number | null): Promise<TrainWorkerReply> {
    this.step = step;
    if (this.died) return Promise.reject(this.error());
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  private error(): Error {
    return workerDiedError(this.index, this.workers, this.died!.what, this.step, this.runDir, this.died!.cause);
  }

  private fail(what: string, cause?: unknown): void {
    if (this.closing || this.died) return;
    this.died = { what, ...(cause === undefined ? {} : { cause }) };
    const pending = this.pending;
    this.pending = null;
    pending?.reject(this.error());
  }
}

/** The flat layout of the transform network's parameters, in paramSpecs order. */
function layoutOf(arch: TransformArch): ParamSlot[] {
  let offset = 0;
  return transformParamSpecs(arch).map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const slot = { name: spec.name, shape: [...spec.shape], offset, size };
    offset += size;
    return slot;
  });
}

/**
 * Starts `init.options.workers` training workers and waits until each has
 * loaded its backend, loss network and style targets.
 * @throws PerceptualError E_WORKER_CRASHED when a worker dies while starting; a worker's
 *   own loading error (E_IO, E_OPTIONS, E_BACKEND_UNAVAILABLE...) with its code
 */
export async function startDataParallel(init: DataParallelInit): Promise<DataParallelTrainer> {
  const { options, arch, runDir } = init;
  const workers = options.workers;
  const slots = layoutOf(arch);
  const slotOf = new Map(slots.map((slot) => [slot.name, slot]));
  const total = slots.reduce((sum, slot) => sum + slot.size, 0);
  const paramsBuffer = new SharedArrayBuffer(total * Float32Array.BYTES_PER_ELEMENT);
  const gradsBuffer = new SharedArrayBuffer(workers * total * Float32Array.BYTES_PER_ELEMENT);
  const stampsBuffer = new SharedArrayBuffer((workers + 1) * Int32Array.BYTES_PER_ELEMENT);
  const params = new Float32Array(paramsBuffer);
  const stamps = new Int32Array(stampsBuffer);
  const rows = Array.from({ length: workers }, (_, k) => new Float32Array(gradsBuffer, k * total * Float32Array.BYTES_PER_ELEMENT, total));
  const accumulator = new Float64Array(total);
  const summed = new Float32Array(total);
  const channels: Channel[] = [];
  const close = async (): Promise<void> => {
    for (const channel of channels) channel.closing = true;
    await Promise.all(channels.map((channel) => channel.worker.terminate()));
  };

  let network: LossNetwork;
  try {
    for (let index = 0; index < workers; index++) {
      const data: TrainWorkerData = { index, workers, options, arch, slots, styleImage: init.styleImage, params: paramsBuffer, grads: gradsBuffer, stamps: stampsBuffer };
      channels.push(new Channel(spawn(data), index, workers, runDir));
    }
    const ready = await Promise.all(channels.map((channel) => channel.next(null)));
    for (const reply of ready) if (reply.kind === 'error') throw receivedError(reply.error);
    network = describedNetwork((ready[0] as Extract<TrainWorkerReply, { kind: 'ready' }>).network);
  } catch (error) {
    await close();
    throw error;
  }

  let lastStepTimes: StepTimes | null = null;
  const gradients = async (input: PlainBatch, target: PlainBatch, step: number, variables: Readonly<Record<string, Variable>>): Promise<SummedGradients> => {
    const start = performance.now();
    const names = Object.keys(variables);
    if (names.length !== slots.length || names.some((name) => !slotOf.has(name))) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `The parameters (${names.join(', ')}) are not those of the ${arch.task} network the workers were started for; this is a bug, please report it.`);
    }
    for (const name of names) params.set((await variables[name]!.data()) as Float32Array, slotOf.get(name)!.offset);
    // Release: a worker that sees this stamp sees the parameters written above.
    Atomics.store(stamps, workers, step + 1);
    const published = performance.now();
    const sizes = partSizes(input.shape[0], workers);
    const shares = partShares(sizes);
    const inputs = splitBatch(input, sizes);
    const targets = target === input ? inputs : splitBatch(target, sizes);
    const active = sizes.flatMap((size, k) => (size > 0 ? [k] : []));
    const replies = await Promise.all(active.map((k) => {
      const reply = channels[k]!.next(step);
      const task: TrainWorkerTask = { step, input: inputs[k]!, target: targets[k]! };
      const moved = [...new Set([inputs[k]!.data.buffer, targets[k]!.data.buffer])] as ArrayBuffer[];
      channels[k]!.worker.postMessage(task, moved);
      return reply;
    }));
    const replied = performance.now();
    const parts: PerceptualLossNumbers[] = [];
    const busyMs: number[] = [];
    const missingIn = new Map<string, number>();
    for (const [i, reply] of replies.entries()) {
      if (reply.kind === 'error') throw receivedError(reply.error);
      if (reply.kind !== 'step' || Atomics.load(stamps, active[i]!) !== step + 1) {
        throw perceptualError('E_WORKER_CRASHED', `Training worker ${active[i]! + 1} answered step ${step + 1} out of turn; this is a bug, please report it.`);
      }
      parts.push(reply.numbers);
      busyMs.push(reply.busyMs);
      for (const name of reply.missing) missingIn.set(name, (missingIn.get(name) ?? 0) + 1);
    }
    // A gradient one part lacks is zero there; only one no part has is left out of the update.
    const missing = new Set([...missingIn].filter(([, count]) => count === replies.length).map(([name]) => name));
    // Summed in float64 in worker order (so the result does not depend on which reply came first), one row at a time.
    const activeShares = active.map((k) => shares[k]!);
    accumulator.fill(0);
    for (const [j, k] of active.entries()) {
      const row = rows[k]!;
      const share = activeShares[j]!;
      for (let i = 0; i < total; i++) accumulator[i]! += share * row[i]!;
    }
    summed.set(accumulator);
    const grads = Object.fromEntries(slots.map((slot) => [slot.name, summed.subarray(slot.offset, slot.offset + slot.size)]));
    lastStepTimes = { publishMs: published - start, waitMs: replied - published, busyMs, sumMs: performance.now() - replied, applyMs: 0 };
    return { numbers: combineLossNumbers(parts, activeShares), grads, missing };
  };

  return {
    workers,
    network,
    gradients,
    async step(input, target, step, variables, optimizer) {
      const { numbers, grads, missing } = await gradients(input, target, step, variables);
      checkFiniteLoss(numbers, step);
      const start = performance.now();
      // In the variables' order, as tf.variableGrads gives them: Adam creates its moments in this order (adam-state.ts).
      const named: tf.NamedTensorMap = {};
      try {
        for (const [name, variable] of Object.entries(variables)) if (!missing.has(name)) named[variable.name] = tf.tensor(grads[name]!, variable.shape);
        optimizer.applyGradients(named);
      } finally {
        tf.dispose(Object.values(named));
      }
      lastStepTimes = { ...lastStepTimes!, applyMs: performance.now() - start };
      return numbers;
    },
    close,
    get lastStepTimes() {
      return lastStepTimes;
    },
  };
}

/** The main thread's stand-in for the workers' loss network: it names it and lists its taps, for the loss options and the log. */
function describedNetwork(description: LossNetworkDescription): LossNetwork {
  return {
    ...description,
    features(): never {
      throw perceptualError('E_OPTIONS', `The loss network ${description.name} of a data-parallel run lives in its worker threads; run it there, or train with --workers 1.`);
    },
    dispose(): void {},
  };
}
