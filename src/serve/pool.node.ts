/**
 * @file The Node inference pool: a piscina pool of WASM-SIMD worker threads
 * (workers/infer.node.ts), each loading the model once. Jobs are admitted
 * up to one per worker, then queue up to `maxQueue`, then are rejected
 * (E_QUEUE_FULL). A large image is tiled (src/infer) and its tiles run on
 * all workers in parallel, blended here. Pixels cross threads as moved
 * buffers. A region whose worker crashes is retried once on a live worker.
 * Memory: each worker's wasm heap grows to the largest region it has run and
 * never shrinks, so the tile size (src/infer's default for large style images:
 * 320) bounds it, and a worker that ran a larger statistics pass is replaced.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Piscina } from 'piscina';
import { optionRangeError, perceptualError } from '../errors.js';
import { inferImageWith, resolveInferOptions, type ResolvedInferOptions } from '../infer/infer-image.js';
import type { RegionRequest, RegionResult } from '../infer/infer-region.js';
import { checkRgbImage, type RgbImage } from '../infer/rgb-image.js';
import type { TransformArch } from '../types.js';
import type { WorkerReply, WorkerTask } from '../../workers/infer.node.js';
import { jobAbortedError, jobTimeoutError, poolClosedError, queueFullError, workerCrashedError, workerReportedError } from './pool-errors.js';
import type { InferencePool, PoolOptions, PoolStats, RunOptions } from './pool-types.js';

export type { InferencePool, PoolOptions, PoolStats, RgbImage, RunOptions } from './pool-types.js';

/** Defaults of PoolOptions (workers: os.availableParallelism(); maxQueue: 4 x workers). */
export const DEFAULT_POOL_OPTIONS = Object.freeze({ timeoutMs: 300_000, queuePerWorker: 4 } as const);

/** The worker script: the .ts source under tsx (tests, dev), the compiled .js in dist. */
function workerScript(): { filename: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`../../workers/infer.node.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  return { filename: url.href, execArgv: fromSource ? ['--import', 'tsx'] : [] };
}

/** sha256 of a model file, or of an ml5 directory's file names and contents. */
async function hashModel(path: string): Promise<string> {
  const hash = createHash('sha256');
  const info = await stat(path).catch((error: unknown) => {
    throw perceptualError('E_IO', `Cannot open the model ${path}: ${(error as Error).message}. Pass a .safetensors model file or an ml5 checkpoint directory.`, error);
  });
  if (info.isDirectory()) {
    for (const name of (await readdir(path)).sort()) {
      const file = join(path, name);
      if (!(await stat(file)).isFile()) continue;
      hash.update(name).update('\0').update(await readFile(file));
    }
  } else {
    hash.update(await readFile(path));
  }
  return hash.digest('hex');
}

function positiveInteger(path: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw optionRangeError(path, `an integer >= ${min}`, value);
  return value;
}

interface Job {
  start(): void;
  reject(error: Error): void;
}

/**
 * Starts a pool serving one model: spawns the workers and loads the model in one of them
 * (to learn its task and scale; the others load it on their first task).
 * @throws PerceptualError E_IO / E_MODEL_FORMAT / E_WEIGHTS_* when the model cannot be loaded;
 *   RangeError E_OPTIONS for bad options
 * @example
 * const pool = await createPool({ model: 'models/wave.safetensors', workers: 4 });
 * const out = await pool.run({ data, width, height }, { signal: AbortSignal.timeout(30_000) });
 * await pool.close();
 */
export async function createPool(options: PoolOptions): Promise<InferencePool> {
  if (typeof options?.model !== 'string' || options.model === '') throw optionRangeError('options.model', 'a model file or ml5 directory path', options?.model);
  const workers = positiveInteger('options.workers', options.workers, availableParallelism());
  const maxQueue = positiveInteger('options.maxQueue', options.maxQueue, DEFAULT_POOL_OPTIONS.queuePerWorker * workers, 0);
  const timeoutMs = positiveInteger('options.timeoutMs', options.timeoutMs, DEFAULT_POOL_OPTIONS.timeoutMs, 0);
  const hash = await hashModel(options.model);
  const script = workerScript();
  // Loaded here, not at import: `import 'perceptual'` should not pay for a pool it may never start.
  const { Piscina: PiscinaPool } = await import('piscina');
  const piscina: Piscina<WorkerTask, WorkerReply> = new PiscinaPool<WorkerTask, WorkerReply>({
    filename: script.filename,
    execArgv: script.execArgv,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: Number.MAX_SAFE_INTEGER,
    concurrentTasksPerWorker: 1,
  });
  // Crashes are handled per task below; without a listener an 'error' event would throw.
  piscina.on('error', () => {});
  const described = await piscina.run({ kind: 'describe', model: options.model, hash }).catch((error: unknown) => {
    void piscina.destroy();
    throw perceptualError('E_BACKEND_UNAVAILABLE', `The inference worker failed to start (${(error as Error).message}). Run \`perceptual doctor\` to check the wasm backend.`, error);
  });
  if (!described.ok) {
    await piscina.destroy();
    throw workerReportedError(described.error);
  }
  const arch: TransformArch = described.arch;
  // Validate the pool-level tiling options once, at the boundary.
  resolveInferOptions(arch, { tile: options.tile, overlap: options.overlap });

  const waiting: Job[] = [];
  const active = new Set<Promise<unknown>>();
  let running = 0;
  let completed = 0;
  let failed = 0;
  let restarts = 0;
  let closed = false;

  const next = (): void => {
    while (running < workers && waiting.length > 0) waiting.shift()!.start();
  };

  /**
   * Replaces a worker (piscina starts another as its 'exit' handler runs): the only way to give
   * back a wasm heap, which never shrinks. Returns once it has exited, so that no tile of this job
   * is sent to it (a task of another job that piscina handed it meanwhile fails as a crash and is
   * retried on a live worker).
   */
  const retire = async (threadId: number): Promise<void> => {
    const worker = piscina.threads.find((thread) => thread.threadId === threadId);
    if (worker === undefined) return;
    const exited = once(worker, 'exit');
    restarts++;
    await worker.terminate();
    await exited;
  };

  /**
   * Runs one region on some worker, retrying once if that worker dies. A statistics pass (style)
   * larger than the job's tiles would leave its worker's heap at that size for good (3840x2160,
   * tile 320: 292 MB after the 682x384 pass, 199-229 MB for the tiles), so that worker is
   * replaced once the statistics are back (bench/RESULTS-infer.md).
   */
  const runRegion = (resolved: ResolvedInferOptions) => async (request: RegionRequest, signal: AbortSignal | undefined): Promise<RegionResult> => {
    let lastCrash: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      // A fresh buffer per attempt: it is moved to the worker (no clone), and kept here for a retry.
      const data = request.image.data.slice();
      const task: WorkerTask = { kind: 'run', model: options.model, hash, request: { ...request, image: { ...request.image, data } } };
      let reply: WorkerReply;
      try {
        reply = await piscina.run(task, { transferList: [data.buffer], ...(signal ? { signal } : {}) });
      } catch (error) {
        if (signal?.aborted || (error as Error).name === 'AbortError') throw error;
        lastCrash = error;
        restarts++;
        continue;
      }
      if (!reply.ok) throw workerReportedError(reply.error);
      const largestTile = (resolved.tile + resolved.feather + 2 * resolved.overlap + 2 * resolved.multiple) ** 2;
      if (request.stats?.mode === 'record' && reply.memory !== undefined && request.image.width * request.image.height > largestTile) {
        await retire(reply.memory.threadId);
      }
      return reply.result!;
    }
    const what = `a ${request.image.width}x${request.image.height} region of the ${arch.task} model ${options.model}`;
    throw workerCrashedError(what, lastCrash);
  };

  const run = (image: RgbImage, runOptions: RunOptions = {}): Promise<RgbImage> => {
    if (closed) return Promise.reject(poolClosedError());
    try {
      checkRgbImage(image);
    } catch (error) {
      return Promise.reject(error);
    }
    const resolved = resolveInferOptions(arch, { tile: runOptions.tile ?? options.tile, overlap: runOptions.overlap ?? options.overlap, concurrency: workers });
    const limit = positiveInteger('options.timeoutMs', runOptions.timeoutMs, timeoutMs, 0);
    if (runOptions.signal?.aborted) return Promise.reject(jobAbortedError(runOptions.signal.reason));
    if (running >= workers && waiting.length >= maxQueue) return Promise.reject(queueFullError(maxQueue, running));

    return new Promise<RgbImage>((resolve, reject) => {
      const controller = new AbortController();
      let started = false;
      let cause: Error | undefined;
      const cancel = (error: Error): void => {
        if (cause) return;
        cause = error;
        controller.abort(error);
        if (!started) {
          const index = waiting.indexOf(job);
          if (index >= 0) waiting.splice(index, 1);
          failed++;
          cleanup();
          reject(error);
        }
      };
      const onAbort = (): void => cancel(jobAbortedError(runOptions.signal?.reason));
      const timer = limit > 0 ? setTimeout(() => cancel(jobTimeoutError(limit)), limit) : undefined;
      runOptions.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        runOptions.signal?.removeEventListener('abort', onAbort);
      };
      const job: Job = {
        reject: (error) => cancel(error),
        start: () => {
          started = true;
          running++;
          const work = inferImageWith(arch, image, resolved, runRegion(resolved), controller.signal, runOptions.onProgress);
          const settled = work.then(
            (out) => {
              completed++;
              resolve(out);
            },
            (error: unknown) => {
              failed++;
              // Report why the job was cancelled (timeout or signal), not piscina's generic AbortError.
              reject(cause ?? error);
            },
          );
          const tracked = settled.finally(() => {
            cleanup();
            running--;
            active.delete(tracked);
            next();
          });
          active.add(tracked);
        },
      };
      waiting.push(job);
      next();
    });
  };

  return {
    task: arch.task,
    scale: arch.task === 'sr' ? arch.scale : 1,
    run,
    get stats(): PoolStats {
      return { queued: waiting.length, running, workers: piscina.threads.length, completed, failed, restarts };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const job of waiting.splice(0)) job.reject(poolClosedError());
      await Promise.allSettled([...active]);
      await piscina.destroy();
    },
  };
}
