/**
 * @file The HTTP service inside edge runtimes (Cloudflare workerd, Deno
 * Deploy and `deno serve`, or any host that calls `fetch(request)`): the
 * Fetch handler of handler.ts over in-thread pools (loaded-model-pool.ts;
 * these runtimes have no worker threads) of models given as bytes, the
 * plain-JavaScript codec (portable-image-codec.ts), and WASM-SIMD inference
 * started from `.wasm` binaries the host hands over (src/runtime
 * select-edge-backend.ts; workerd takes them only as compiled modules). No
 * `node:` import and no file access: the host hands over every byte.
 *
 * The defaults fit Cloudflare Workers' 128 MB per isolate, which counts the
 * WASM heap too: one job at a time over all models, with one waiting (each
 * waiting job holds its decoded image), and outputs up to EDGE_DEFAULTS.maxPixels
 * (examples/edge/README.md has the measurements).
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, optionTypeError } from '../errors.js';
import type { RgbImage } from '../pixels.js';
import { selectEdgeBackend, type EdgeWasmBinaries } from '../runtime/select-edge-backend.js';
import { parseModel } from '../weights/model-file.js';
import { createService, DEFAULT_SERVICE_OPTIONS, type Service, type ServiceModel, type ServiceRequestOptions } from './handler.js';
import { errorResponse, tooLargeError } from './http-errors.js';
import { countOption, createJobQueue, type JobQueue } from './job-queue.js';
import { createLoadedModelPool } from './loaded-model-pool.js';
import { poolClosedError } from './pool-errors.js';
import type { InferencePool, PoolStats, RunOptions } from './pool-types.js';
import { portableImageCodec } from './portable-image-codec.js';

export type { EdgeWasmBinaries, WasmBinary } from '../runtime/select-edge-backend.js';

/** Options of createEdgeService; maxBodyBytes, timeoutMs and cors as createService's (ServiceRequestOptions). */
export interface EdgeServiceOptions extends ServiceRequestOptions {
  /** Model files (`.safetensors` bytes) by the name the routes use: `{ wave: bytes }` serves `POST /v1/stylize/wave`. */
  readonly models: Readonly<Record<string, Uint8Array | ArrayBuffer>>;
  /** The `.wasm` files: compiled modules (workerd: import the files) or their bytes (Deno). */
  readonly wasm: EdgeWasmBinaries;
  /**
   * Largest image a request may produce, in pixels (default EDGE_DEFAULTS.maxPixels): a
   * style model's input, a super-resolution model's input times its scale squared. Larger
   * requests get 413.
   */
  readonly maxPixels?: number;
  /** Jobs that may wait behind the running one, all models together (default EDGE_DEFAULTS.maxQueue); more get 503. */
  readonly maxQueue?: number;
  /** Style models: tile edge in input pixels (default EDGE_DEFAULTS.tile); larger images run in tiles, which bounds the WASM heap. */
  readonly tile?: number;
  /** Style models, tiled images: edge of the downscaled copy the instance-norm statistics come from (default EDGE_DEFAULTS.statsSize). */
  readonly statsSize?: number;
}

/** Defaults of EdgeServiceOptions: sized for a 128 MB isolate. */
export const EDGE_DEFAULTS = Object.freeze({
  // The WASM heap (bounded by the tiles below) plus JavaScript's buffers for an output this size
  // (decoded input, output, PNG encoding) fit 128 MB with room: examples/edge/README.md.
  maxPixels: 3_000_000,
  maxBodyBytes: 16 * 1024 * 1024,
  maxQueue: 1,
  // Style regions (a tile plus its context on each side) then stay far below the 512^2 that
  // src/infer runs whole by default, and the WASM heap, which never shrinks, with them; larger
  // tiles also leave it at the mercy of fragmentation (the order models loaded and images came
  // in). Images up to statsSize^2 still get exact whole-image statistics.
  tile: 160,
  statsSize: 256,
});

/**
 * Starts the backend, parses every model and returns the service.
 * @throws TypeError/RangeError E_OPTIONS for bad options (a model name the routes cannot carry, no model);
 *   as parseModel for a bad model file; as selectEdgeBackend for the modules
 * @example
 * const service = await createEdgeService({ models: { wave: waveBytes }, wasm: { tfjsSimd, kernels } });
 * const response = await service.fetch(request);
 */
export async function createEdgeService(options: EdgeServiceOptions): Promise<Service> {
  if (options === null || typeof options !== 'object') throw optionTypeError('options', 'an object', options);
  const entries = options.models !== null && typeof options.models === 'object' ? Object.entries(options.models) : [];
  if (entries.length === 0) throw optionRangeError('options.models', 'an object with at least one model file by name, e.g. { wave: bytes }', options.models);
  const files = entries.map(([name, bytes]) => {
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) throw optionTypeError(`options.models.${name}`, 'the model file as a Uint8Array or ArrayBuffer', bytes);
    return { name, bytes: bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes) };
  });
  const maxQueue = countOption('options.maxQueue', options.maxQueue, EDGE_DEFAULTS.maxQueue, 0);
  const maxPixels = countOption('options.maxPixels', options.maxPixels, EDGE_DEFAULTS.maxPixels, 1);
  await selectEdgeBackend(options.wasm);
  const gate = createJobQueue({ concurrency: 1, maxQueue, closedError: () => poolClosedError('createEdgeService') });
  const models: ServiceModel[] = [];
  try {
    for (const { name, bytes } of files) {
      const model = parseModel(bytes, `model ${name}`);
      let pool: InferencePool;
      try {
        pool = await createLoadedModelPool({
          model,
          // SR's default tile (512 output pixels) already keeps its heap small.
          ...(model.arch.task === 'style' ? { tile: options.tile ?? EDGE_DEFAULTS.tile, statsSize: options.statsSize ?? EDGE_DEFAULTS.statsSize } : {}),
        });
      } catch (error) {
        tf.dispose(Object.values(model.params));
        throw error;
      }
      models.push({ name, pool: gatedPool(pool, gate, maxPixels), arch: model.arch });
    }
    return createService({
      models,
      codec: portableImageCodec,
      maxPixels,
      maxBodyBytes: options.maxBodyBytes ?? EDGE_DEFAULTS.maxBodyBytes,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      cors: options.cors ?? DEFAULT_SERVICE_OPTIONS.cors,
    });
  } catch (error) {
    await Promise.allSettled(models.map((m) => m.pool.close()));
    throw error;
  }
}

/**
 * `pool` with its jobs admitted through `gate`, the one queue of every model:
 * the isolate has one thread, so jobs of different models would only
 * interleave at tile boundaries while each held its images in memory. The
 * gate owns the queue limit and the time limit; `stats` shows the gate's
 * waiting jobs. A job whose output would exceed `maxPixels` is refused with
 * 413 before it queues (the handler's own limit counts input pixels, which
 * super-resolution multiplies). Closing closes the gate (every model's
 * waiting jobs) and the pool.
 */
export function gatedPool(pool: InferencePool, gate: JobQueue, maxPixels: number): InferencePool {
  return {
    task: pool.task,
    scale: pool.scale,
    get stats(): PoolStats {
      return { ...pool.stats, queued: gate.stats.queued };
    },
    run(image: RgbImage, runOptions: RunOptions = {}): Promise<RgbImage> {
      const output = image.width * image.height * pool.scale * pool.scale;
      if (output > maxPixels) {
        const size = `${image.width * pool.scale}x${image.height * pool.scale}`;
        return Promise.reject(tooLargeError(`The output (${size})'s pixel count`, output, maxPixels, `Send a smaller image${pool.scale > 1 ? ` (at most ${Math.floor(maxPixels / (pool.scale * pool.scale))} input pixels for this x${pool.scale} model)` : ''}, or raise maxPixels where the platform allows more memory.`));
      }
      const { signal, timeoutMs, ...rest } = runOptions;
      return gate.run((jobSignal) => pool.run(image, { ...rest, signal: jobSignal }), { ...(signal ? { signal } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    },
    async close(): Promise<void> {
      await gate.close();
      await pool.close();
    },
  };
}

/** What workerd and `deno serve` call: the default export of a module. */
export interface EdgeWorker {
  fetch(request: Request): Promise<Response>;
}

/**
 * A worker module's default export that starts the service on the first
 * request (workerd allows no asynchronous work while a module loads) and
 * serves every request with it. A start that fails answers that request
 * with the error as JSON and is retried on the next one.
 * @param options the options, or a function giving them (e.g. reading the files in Deno)
 * @example
 * // worker.ts (workerd): .wasm imports are compiled modules, .safetensors imports bytes
 * export default createEdgeWorker({ models: { wave }, wasm: { tfjsSimd, kernels } });
 */
export function createEdgeWorker(options: EdgeServiceOptions | (() => EdgeServiceOptions | Promise<EdgeServiceOptions>)): EdgeWorker {
  let service: Promise<Service> | undefined;
  return {
    async fetch(request: Request): Promise<Response> {
      service ??= Promise.resolve(typeof options === 'function' ? options() : options).then(createEdgeService);
      let ready: Service;
      try {
        ready = await service;
      } catch (error) {
        service = undefined;
        return errorResponse(error);
      }
      return ready.fetch(request);
    },
  };
}
