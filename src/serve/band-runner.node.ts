/**
 * @file One image on several cores: a fixed group of worker threads that run
 * the style network together, each on a band of rows of every layer
 * (src/networks/layers/row-band.ts), trading only the rows next to each band
 * boundary and the instance-norm sums through shared memory
 * (band-exchange.ts). The whole image's statistics come out of the same pass,
 * so the result equals the whole network's up to float rounding.
 *
 * For single-image latency; for throughput over many images the pool
 * (pool.node.ts: one image per worker, nothing exchanged) uses cores better.
 * Runs are queued and executed one at a time (the shared job queue,
 * job-queue.ts: signal, timeoutMs, close as in the pools); a worker that dies
 * is replaced and its run retried once (retry-once-on-crash.ts).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { cutRgb, padRgbToMultiple } from '../infer/rgb-image.js';
import { checkRgbImage, type RgbImage } from '../pixels.js';
import { styleChannels } from '../networks/arch.js';
import type { StyleArch } from '../types.js';
import { abortBandExchange, createBandExchange } from './band-exchange.js';
import { createJobQueue, timeoutOption, type JobQueueStats } from './job-queue.js';
import { onAbort } from './on-abort.js';
import { bandRunnerClosedError, workerReportedError } from './pool-errors.js';
import { retryOnceOnCrash } from './retry-once-on-crash.js';
import type { BandReply, BandTask } from './worker-protocol.js';

/** Options of {@link createBandRunner}. */
export interface BandRunnerOptions {
  /** A style model (.safetensors or ml5 checkpoint directory). */
  readonly model: string;
  /** Workers sharing each image; default os.availableParallelism(), at most 16. */
  readonly workers?: number;
  /** Longest wait of a worker for the others at one layer, ms (default 120000). */
  readonly layerTimeoutMs?: number;
  /** Default limit of each run in ms, counted from `run` (queueing included); 0 (the default) for none. */
  readonly timeoutMs?: number;
}

/** Options of {@link BandRunner.run}. */
export interface BandRunOptions {
  readonly signal?: AbortSignal;
  /** Overrides BandRunnerOptions.timeoutMs for this run; 0 for none. */
  readonly timeoutMs?: number;
}

/** A group of workers that stylise one image at a time together. */
export interface BandRunner {
  readonly workers: number;
  /** The loaded model's architecture. */
  readonly arch: StyleArch;
  /**
   * Stylises `image` (RGB bytes) with the workers' bands; runs queue. Aborting
   * `signal`, or `timeoutMs` passing, rejects with an AbortError (E_ABORTED)
   * at once; a running run's workers stop at their next layer exchange and
   * stay usable.
   * @throws AbortError E_ABORTED on abort, timeout or after close(); PerceptualError E_WORKER_CRASHED;
   *   RangeError E_OPTIONS for a bad image or timeoutMs
   */
  run(image: RgbImage, options?: BandRunOptions): Promise<RgbImage>;
  /** Rejects queued runs, waits for the running one, stops the workers. */
  close(): Promise<void>;
  /** Runs queued and running, and how many completed or failed. */
  readonly stats: JobQueueStats;
}

/** Rows of the smallest band: 16 input rows are 4 at the network's quarter resolution, enough for every halo. */
export const MIN_BAND_ROWS = 16;

function startWorker(model: string, index: number): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL(`../../workers/band.node.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(script, { workerData: { model, index } });
  return new Worker(new URL('../../workers/import-entry.mjs', import.meta.url), { execArgv: ['--import', 'tsx'], workerData: { model, index, entry: script.href } });
}

function reply(worker: Worker): Promise<BandReply> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    const onExit = (code: number): void => {
      stop();
      reject(new Error(`the worker exited (code ${code})`));
    };
    const onMessage = (message: BandReply): void => {
      stop();
      resolve(message);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Row ranges [start, end) of `bands` bands over `rows` rows, each a multiple of 4 rows. */
export function bandRows(rows: number, bands: number): Array<[number, number]> {
  const units = rows / 4;
  return Array.from({ length: bands }, (_, b) => [Math.floor((units * b) / bands) * 4, Math.floor((units * (b + 1)) / bands) * 4]);
}

/**
 * Starts `workers` threads, each loading `model` on WASM-SIMD.
 * @throws the error of a worker that cannot load the model (an SR model: those tile exactly, use the pool)
 */
export async function createBandRunner(options: BandRunnerOptions): Promise<BandRunner> {
  const count = Math.max(1, Math.min(16, Math.floor(options.workers ?? availableParallelism())));
  const layerTimeoutMs = options.layerTimeoutMs ?? 120_000;
  const timeoutMs = timeoutOption('options.timeoutMs', options.timeoutMs, 0);
  const workers = Array.from({ length: count }, (_, index) => startWorker(options.model, index));
  const loaded = await Promise.allSettled(workers.map(reply));
  const bad = loaded.find((r) => r.status === 'rejected' || !r.value.ok);
  if (bad) {
    await Promise.all(workers.map((w) => w.terminate()));
    if (bad.status === 'rejected') throw bad.reason;
    throw workerReportedError({ name: 'Error', ...(bad.value as Extract<BandReply, { ok: false }>) });
  }
  const arch = (loaded[0] as PromiseFulfilledResult<Extract<BandReply, { ok: true }>>).value.arch!;
  const [c32, , c128] = styleChannels(arch);
  // Every run uses every worker: one at a time.
  const queue = createJobQueue({ concurrency: 1, maxQueue: Infinity, closedError: bandRunnerClosedError });
  /** The errors of workers that died (as opposed to errors they answered). */
  const crashes = new WeakSet<Error>();
  let closing: Promise<void> | undefined;

  /** Replaces the workers whose reply failed (they died), waiting for them to load the model. */
  const respawn = async (outcomes: PromiseSettledResult<BandReply>[]): Promise<void> => {
    await Promise.all(
      outcomes.map(async (outcome, index) => {
        if (outcome.status === 'fulfilled') return;
        void workers[index]!.terminate();
        workers[index] = startWorker(options.model, index);
        await reply(workers[index]!).catch(() => undefined); // a failure to reload surfaces on the next run
      }),
    );
  };

  /**
   * One banded run; settles once every worker has answered and dead ones are replaced. An abort
   * of `signal` wakes the workers, which throw at their next exchange and answer.
   */
  const bandRun = async (image: RgbImage, signal: AbortSignal): Promise<RgbImage> => {
    const padded = padRgbToMultiple(image, 4);
    // Small images get fewer bands: each needs MIN_BAND_ROWS rows.
    const used = Math.max(1, Math.min(count, Math.floor(padded.height / MIN_BAND_ROWS)));
    const ranges = bandRows(padded.height, used);
    // The most any layer sends: 4 rows (9x9 convs) of the full-resolution 32-channel maps.
    const exchange = createBandExchange(used, 4 * padded.width * Math.max(c32, 3), c128 + 1, layerTimeoutMs);
    // A worker that dies wakes the others (they would wait for its rows) and is replaced before the next run.
    const replies = workers.slice(0, used).map((worker) =>
      reply(worker).catch((error: unknown) => {
        const crash = error instanceof Error ? error : new Error(String(error));
        crashes.add(crash);
        abortBandExchange(exchange);
        throw crash;
      }),
    );
    ranges.forEach(([start, end], b) => {
      const band = cutRgb(padded, { x: 0, y: start, width: padded.width, height: end - start });
      const task: BandTask = { band, exchange };
      workers[b]!.postMessage(task, [band.data.buffer as ArrayBuffer]);
    });
    const unsubscribe = onAbort(signal, () => abortBandExchange(exchange));
    const outcomes = await Promise.allSettled(replies).finally(unsubscribe);
    await respawn(outcomes);
    const crashed = outcomes.find((o) => o.status === 'rejected');
    if (crashed) throw crashed.reason;
    const answers = outcomes.map((o) => (o as PromiseFulfilledResult<BandReply>).value);
    const failed = answers.find((a) => !a.ok) as Extract<BandReply, { ok: false }> | undefined;
    if (failed) throw workerReportedError({ name: 'Error', message: failed.message, ...(failed.code ? { code: failed.code } : {}) });
    const out = new Uint8Array(padded.width * padded.height * 3);
    answers.forEach((answer, b) => out.set((answer as Extract<BandReply, { ok: true }>).band!.data, ranges[b]![0] * padded.width * 3));
    const whole = { data: out, width: padded.width, height: padded.height };
    return whole.width === image.width && whole.height === image.height ? whole : cutRgb(whole, { x: 0, y: 0, width: image.width, height: image.height });
  };

  return {
    workers: count,
    arch,
    run(image, runOptions = {}) {
      try {
        checkRgbImage(image);
        const limit = timeoutOption('options.timeoutMs', runOptions.timeoutMs, timeoutMs);
        // As in the pool, a run whose worker died is retried once, on the replaced workers.
        const work = (signal: AbortSignal): Promise<RgbImage> =>
          retryOnceOnCrash(() => bandRun(image, signal), { what: 'a band of a banded run', isCrash: (error) => crashes.has(error as Error), signal });
        return queue.run(work, { ...(runOptions.signal ? { signal: runOptions.signal } : {}), timeoutMs: limit });
      } catch (error) {
        return Promise.reject(error);
      }
    },
    close() {
      closing ??= queue.close().then(() => Promise.all(workers.map((w) => w.terminate()))).then(() => undefined);
      return closing;
    },
    get stats() {
      return queue.stats;
    },
  };
}
