/**
 * @file The Node inference pool: a piscina pool of WASM-SIMD worker threads
 * (workers/infer.node.ts), each loading the model once. Jobs are admitted
 * up to one per worker, then queue up to `maxQueue`, then are rejected
 * (E_QUEUE_FULL). A large image is tiled (src/infer) and its tiles run on
 * all workers in parallel, blended here. Pixels cross threads as moved
 * buffers. A region whose worker crashes is retried once on a live worker.
 * Queueing, cancellation and counters are the shared job queue's
 * (job-queue.ts); crash-retry-once is retry-once-on-crash.ts's.
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
import { optionRangeError, optionTypeError, perceptualError } from '../errors.js';
import { inferImageWith, resolveInferOptions, type ResolvedInferOptions } from '../infer/infer-image.js';
import type { RegionRequest, RegionResult } from '../infer/infer-region.js';
import { checkRgbImage, type RgbImage } from '../pixels.js';
import type { TransformArch } from '../types.js';
import { countOption, createJobQueue, timeoutOption } from './job-queue.js';
import { workerReportedError } from './pool-errors.js';
import type { InferencePool, PoolOptions, PoolStats, RunOptions } from './pool-types.js';
import { retryOnceOnCrash } from './retry-once-on-crash.js';
import type { WorkerReply, WorkerTask } from './worker-protocol.js';

export type { InferencePool, PoolOptions, PoolStats, RunOptions } from './pool-types.js';

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

/**
 * Starts a pool serving one model: spawns the workers and loads the model in one of them
 * (to learn its task and scale; the others load it on their first task).
 * @throws PerceptualError E_IO / E_MODEL_FORMAT / E_WEIGHTS_* when the model cannot be loaded;
 *   TypeError / RangeError E_OPTIONS for bad options
 * @example
 * const pool = await createPool({ model: 'models/wave.safetensors', workers: 4 });
 * const out = await pool.run({ data, width, height }, { signal: AbortSignal.timeout(30_000) });
 * await pool.close();
 */
export async function createPool(options: PoolOptions): Promise<InferencePool> {
  if (typeof options?.model !== 'string') throw optionTypeError('options.model', 'a model file or ml5 directory path', options?.model);
  if (options.model === '') throw optionRangeError('options.model', 'a model file or ml5 directory path', options.model);
  const workers = countOption('options.workers', options.workers, availableParallelism(), 1);
  const maxQueue = countOption('options.maxQueue', options.maxQueue, DEFAULT_POOL_OPTIONS.queuePerWorker * workers, 0);
  const timeoutMs = timeoutOption('options.timeoutMs', options.timeoutMs, DEFAULT_POOL_OPTIONS.timeoutMs);
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

  // One job per worker at a time; a large image's tiles still spread over every worker.
  const queue = createJobQueue({ concurrency: workers, maxQueue });
  let restarts = 0;
  let closing: Promise<void> | undefined;

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
   * larger than the job's tiles would leave its worker's heap at that size for good (heap sizes
   * at 3840x2160: bench/RESULTS-infer.md), so that worker is replaced once the statistics are back.
   */
  const runRegion = (resolved: ResolvedInferOptions) => async (request: RegionRequest, signal: AbortSignal | undefined): Promise<RegionResult> => {
    const reply = await retryOnceOnCrash(
      () => {
        // A fresh buffer per attempt: it is moved to the worker (no clone), and kept here for a retry.
        const data = request.image.data.slice();
        const task: WorkerTask = { kind: 'run', model: options.model, hash, request: { ...request, image: { ...request.image, data } } };
        return piscina.run(task, { transferList: [data.buffer], ...(signal ? { signal } : {}) });
      },
      {
        what: `a ${request.image.width}x${request.image.height} region of the ${arch.task} model ${options.model}`,
        // The worker answers its own errors as values (below): anything piscina throws but an abort is a dead worker.
        isCrash: (error) => (error as Error).name !== 'AbortError',
        onCrash: () => restarts++,
        ...(signal ? { signal } : {}),
      },
    );
    if (!reply.ok) throw workerReportedError(reply.error);
    const largestTile = (resolved.tile + resolved.feather + 2 * resolved.overlap + 2 * resolved.multiple) ** 2;
    if (request.stats?.mode === 'record' && reply.memory !== undefined && request.image.width * request.image.height > largestTile) {
      await retire(reply.memory.threadId);
    }
    return reply.result!;
  };

  const run = (image: RgbImage, runOptions: RunOptions = {}): Promise<RgbImage> => {
    try {
      checkRgbImage(image);
      const resolved = resolveInferOptions(arch, { tile: runOptions.tile ?? options.tile, overlap: runOptions.overlap ?? options.overlap, concurrency: workers });
      const limit = timeoutOption('options.timeoutMs', runOptions.timeoutMs, timeoutMs);
      return queue.run((signal) => inferImageWith(arch, image, resolved, runRegion(resolved), signal, runOptions.onProgress), {
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
        timeoutMs: limit,
      });
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    task: arch.task,
    scale: arch.task === 'sr' ? arch.scale : 1,
    run,
    get stats(): PoolStats {
      return { ...queue.stats, workers: piscina.threads.length, restarts };
    },
    close(): Promise<void> {
      closing ??= queue.close().then(() => piscina.destroy());
      return closing;
    },
  };
}
