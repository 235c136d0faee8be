/**
 * @file The main-thread side of the browser worker: starts
 * workers/infer.browser.ts (bundled) as a module worker, wraps it with
 * comlink, and turns results into `ImageData`.
 *
 * Calls run one at a time, in call order, from the job queue the Node pools
 * use (src/serve/job-queue.ts), so that a job is cancelled (AbortSignal,
 * timeoutMs) and answers exactly like a job of the Node pool. The network
 * run in the worker is synchronous WASM that cannot be interrupted, so
 * cancelling a running job terminates its worker; the next call starts a
 * fresh one, re-runs `init` with the same options and reloads the current
 * model first. A worker that crashes (an uncaught error event) is replaced
 * the same way and its job retried once (src/serve/retry-once-on-crash.ts);
 * a second crash rejects with E_WORKER_CRASHED.
 */
import * as Comlink from 'comlink';
import { optionTypeError } from '../errors.js';
import type { Runtime } from '../runtime/select-backend.js';
import { createJobQueue, timeoutOption } from '../serve/job-queue.js';
import { onAbort } from '../serve/on-abort.js';
import { stylizerTerminatedError } from '../serve/pool-errors.js';
import { retryOnceOnCrash } from '../serve/retry-once-on-crash.js';
import type { ModelInfo, StylizeOptions, StylizeProgress, StylizeResult, StylizerWorkerApi, WorkerInfo, WorkerInitOptions } from './protocol.js';

/**
 * What {@link BrowserStylizerOptions.createWorker} returns: a comlink
 * endpoint (a `Worker`, or any MessagePort-like object whose other end
 * exposes a StylizerWorkerApi) that can be stopped.
 */
export type StylizerWorkerEndpoint = Comlink.Endpoint & { terminate(): void };

/** Options of {@link createBrowserStylizer}. */
export interface BrowserStylizerOptions {
  /**
   * URL of the bundled worker script (an ES module), e.g. `new URL('./worker.js', import.meta.url)`.
   * Required unless `createWorker` is given.
   */
  readonly workerUrl?: string | URL;
  /**
   * URL prefix serving tfjs-backend-wasm.wasm and tfjs-backend-wasm-simd.wasm
   * (copy them from node_modules/@tensorflow/tfjs-backend-wasm/dist). Relative
   * prefixes are resolved against the page. Without it the worker uses WebGPU (a hardware
   * adapter) or else the CPU backend.
   */
  readonly wasmPath?: string | URL;
  /** Force `webgpu` (a software adapter included), `wasm` or `cpu`; default: webgpu on a hardware adapter, else wasm, else cpu. */
  readonly backend?: 'webgpu' | 'wasm' | 'cpu';
  /** Default time limit of each `stylize` in ms, queueing included; 0 (the default) for none. */
  readonly timeoutMs?: number;
  /**
   * Starts a worker; called once at creation and again after each cancelled
   * run. Default: `new Worker(workerUrl, { type: 'module' })`. For custom
   * worker setups and for tests (a MessagePort whose other end exposes a
   * fake StylizerWorkerApi through comlink).
   */
  readonly createWorker?: () => StylizerWorkerEndpoint;
}

/** Options of {@link BrowserStylizer.stylize}: the worker's options plus cancellation (kept on this thread). */
export interface BrowserStylizeOptions extends StylizeOptions {
  /** Aborting rejects the call with an AbortError (E_ABORTED); see {@link BrowserStylizer.stylize} for the cost. */
  readonly signal?: AbortSignal;
  /** Time limit in ms from the call, queueing included; overrides BrowserStylizerOptions.timeoutMs; 0 for none. */
  readonly timeoutMs?: number;
  /**
   * Called on this thread as regions finish: once (1 of 1) for an image run
   * whole, else per tile of every pass. Messages that arrive after the call
   * settles are dropped.
   */
  readonly onProgress?: (progress: StylizeProgress) => void;
}

/** A stylizer running in its own worker. */
export interface BrowserStylizer {
  /** The backend the worker chose. */
  readonly runtime: Runtime;
  /**
   * Loads a perceptual `.safetensors` model (style or SR) from a URL (relative
   * to the page; the worker fetches it) or from bytes, or an ml5 checkpoint
   * from its folder URL (ending in `/` or `/manifest.json`). Bytes are copied
   * (the caller's buffer stays usable): this thread keeps the copy, or the
   * URL, to reload the model into a fresh worker after a cancelled `stylize`.
   */
  loadModel(source: string | URL | Uint8Array | ArrayBuffer | Blob, name?: string): Promise<ModelInfo>;
  /**
   * Stylises an image. Calls run one at a time in call order. An
   * `ImageBitmap` is transferred to the worker when its turn comes (and is
   * unusable afterwards); an `ImageData` is copied.
   *
   * Cancellation (`signal`, `timeoutMs`) rejects at once with an AbortError
   * (code E_ABORTED; `cause` is the signal's reason, or the time limit). A
   * signal already aborted rejects without queueing. A queued call is just
   * dropped. A running call cannot be interrupted (the network is synchronous
   * WASM), so its worker is terminated, freeing its memory; the next call
   * starts a new worker, re-runs `init` and reloads the current model (a
   * fetch for a URL model, a copy for bytes): expect the backend start-up
   * plus model load time (tens to hundreds of ms) on that call. Calls queued
   * behind a cancelled one are kept and run on the new worker, in order.
   * @returns a new ImageData (RGBA, opaque) and the worker's run time
   * @throws AbortError E_ABORTED on abort, timeout or terminate(); RangeError E_OPTIONS for a bad timeoutMs;
   *   PerceptualError from the worker (no model loaded, bad image)
   */
  stylize(image: ImageBitmap | ImageData, options?: BrowserStylizeOptions): Promise<{ image: ImageData; milliseconds: number }>;
  info(): Promise<WorkerInfo>;
  /** Frees the model and stops the worker; queued and running calls reject with an AbortError. */
  terminate(): void;
}

/** A model as this thread keeps it, to load it again into a fresh worker. */
type ModelSource = { readonly url: string; readonly name: string } | { readonly bytes: Uint8Array; readonly name: string | undefined };

interface Session {
  readonly worker: StylizerWorkerEndpoint;
  readonly remote: Comlink.Remote<StylizerWorkerApi>;
  /** Resolves when the worker reports an uncaught error (a WASM abort, out of memory): it is no longer usable. */
  readonly crashed: Promise<{ crash: Error }>;
}

function absolute(url: string | URL): string {
  const base = typeof document !== 'undefined' ? document.baseURI : (globalThis as { location?: { href: string } }).location?.href;
  return new URL(String(url), base).href;
}

/** The worker's copy of a model source: a URL, or fresh bytes transferred (the kept copy stays here). */
function modelPayload(source: ModelSource): string | Uint8Array {
  if ('url' in source) return source.url;
  const copy = source.bytes.slice();
  return Comlink.transfer(copy, [copy.buffer]);
}

async function keepModel(source: unknown, name: string | undefined): Promise<ModelSource> {
  if (typeof source === 'string' || source instanceof URL) return { url: absolute(source), name: name ?? String(source) };
  if (source instanceof Uint8Array) return { bytes: source.slice(), name };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source.slice(0)), name };
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { bytes: new Uint8Array(await source.arrayBuffer()), name: name ?? (source as { name?: string }).name };
  throw optionTypeError('source', 'a URL (string or URL), Uint8Array, ArrayBuffer or Blob holding a .safetensors model', source);
}

/**
 * Starts a stylizer worker and selects its backend.
 * @example
 *   const stylizer = await createBrowserStylizer({ workerUrl: './worker.js', wasmPath: './wasm/' });
 *   await stylizer.loadModel('./models/wave.safetensors');
 *   const controller = new AbortController();
 *   const { image } = await stylizer.stylize(await createImageBitmap(file), { signal: controller.signal, timeoutMs: 10_000 });
 *   canvas.getContext('2d').putImageData(image, 0, 0);
 * @throws TypeError E_OPTIONS for a missing workerUrl; RangeError E_OPTIONS for a bad timeoutMs;
 *   PerceptualError E_BACKEND_UNAVAILABLE from the worker
 */
export async function createBrowserStylizer(options: BrowserStylizerOptions): Promise<BrowserStylizer> {
  if (options === null || typeof options !== 'object') throw optionTypeError('options', 'an object with workerUrl', options);
  const { workerUrl, createWorker } = options;
  if (createWorker !== undefined && typeof createWorker !== 'function') {
    throw optionTypeError('options.createWorker', 'a function returning a Worker-like comlink endpoint', createWorker);
  }
  if (createWorker === undefined && typeof workerUrl !== 'string' && !(workerUrl instanceof URL)) {
    throw optionTypeError('options.workerUrl', 'the URL of the bundled worker script (string or URL)', workerUrl);
  }
  const defaultTimeout = timeoutOption('options.timeoutMs', options.timeoutMs, 0);
  const initOptions: WorkerInitOptions = {
    ...(options.wasmPath !== undefined ? { wasmPath: absolute(options.wasmPath) } : {}),
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
  };
  const startWorker = createWorker ?? (() => new Worker(absolute(workerUrl!), { type: 'module', name: 'perceptual-stylizer' }));

  let runtime!: Runtime;
  let model: ModelSource | undefined; // what a fresh worker must load
  let session: Session | undefined;
  let spawning: Promise<Session> | undefined;
  let terminated = false;
  const queue = createJobQueue({ concurrency: 1, maxQueue: Infinity, closedError: stylizerTerminatedError });

  const stop = (dead: Session): void => {
    if (session === dead) session = undefined;
    dead.worker.terminate();
  };

  /** The live worker, or a new one with init re-run and the current model reloaded. */
  const ensureSession = (): Promise<Session> => {
    if (session) return Promise.resolve(session);
    spawning ??= (async () => {
      const worker = startWorker();
      const remote = Comlink.wrap<StylizerWorkerApi>(worker);
      const crashed = new Promise<{ crash: Error }>((resolve) =>
        worker.addEventListener('error', (event) => resolve({ crash: new Error((event as ErrorEvent).message || 'the worker raised an uncaught error') })),
      );
      const fresh: Session = { worker, remote, crashed };
      try {
        runtime = await remote.init(initOptions);
        if (model !== undefined) await remote.loadModel(modelPayload(model), model.name);
      } catch (error) {
        worker.terminate();
        throw error;
      }
      if (terminated) {
        worker.terminate();
        throw stylizerTerminatedError();
      }
      session = fresh;
      return fresh;
    })().finally(() => (spawning = undefined));
    return spawning;
  };

  /**
   * Runs `work` on the live worker, retried once on a fresh one if the worker crashes. When the
   * job is cancelled (`signal`) it stops waiting at once, and a worker it is running on is stopped:
   * it is stuck in synchronous WASM; the next job starts a fresh one.
   */
  const onWorker = async <T>(work: (remote: Comlink.Remote<StylizerWorkerApi>) => Promise<T>, signal: AbortSignal): Promise<T> => {
    let inFlight: Session | undefined;
    let crash: Error | undefined;
    let unsubscribe = (): void => undefined;
    const cancelled = new Promise<never>((_, reject) => {
      unsubscribe = onAbort(signal, (reason) => {
        if (inFlight) stop(inFlight);
        reject(reason);
      });
    });
    cancelled.catch(() => undefined);
    const attempt = async (): Promise<T> => {
      // A job cancelled while a worker starts lets it finish starting: the next job needs it.
      const ready = await Promise.race([ensureSession(), cancelled]);
      inFlight = ready;
      try {
        const value = await Promise.race([work(ready.remote).then((result) => ({ result })), ready.crashed, cancelled]);
        if ('result' in value) return value.result;
        stop(ready);
        crash = value.crash;
        throw crash;
      } finally {
        inFlight = undefined;
      }
    };
    try {
      return await retryOnceOnCrash(attempt, { what: 'a stylize call in the browser worker', isCrash: (error) => error === crash, signal });
    } finally {
      unsubscribe();
    }
  };

  /** Queues `work` (one job at a time, in call order); `timeoutMs` 0 for none. */
  const enqueue = <T>(work: (remote: Comlink.Remote<StylizerWorkerApi>) => Promise<T>, signal?: AbortSignal, timeoutMs = 0): Promise<T> =>
    queue.run((jobSignal) => onWorker(work, jobSignal), { ...(signal ? { signal } : {}), timeoutMs });

  await ensureSession();

  return {
    get runtime() {
      return runtime;
    },
    loadModel(source, name) {
      const kept = keepModel(source, name);
      kept.catch(() => undefined); // reported through the queued call
      return enqueue(async (remote) => {
        const next = await kept;
        const info = await remote.loadModel(modelPayload(next), next.name);
        model = next;
        return info;
      });
    },
    async stylize(image, stylizeOptions = {}) {
      const { signal, timeoutMs, onProgress, ...workerOptions } = stylizeOptions;
      const limit = timeoutOption('options.timeoutMs', timeoutMs, defaultTimeout);
      if (onProgress !== undefined && typeof onProgress !== 'function') throw optionTypeError('options.onProgress', 'a function', onProgress);
      // A function cannot cross postMessage: progress comes back over a port of our own, closed here
      // once the call settles, so a cancelled call (its worker terminated) leaves no listener behind.
      const ports: MessagePort[] = [];
      try {
        const result: StylizeResult = await enqueue((remote) => {
          const sent = typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap ? Comlink.transfer(image, [image]) : image;
          if (onProgress === undefined) return remote.stylize(sent, workerOptions);
          const { port1, port2 } = new MessageChannel();
          port1.onmessage = (event: MessageEvent<StylizeProgress>) => onProgress(event.data);
          ports.push(port1);
          return remote.stylize(sent, workerOptions, Comlink.transfer(port2, [port2]));
        }, signal, limit);
        return { image: new ImageData(result.data as Uint8ClampedArray<ArrayBuffer>, result.width, result.height), milliseconds: result.milliseconds };
      } finally {
        for (const port of ports) port.close();
      }
    },
    info: () => enqueue((remote) => remote.info()),
    terminate() {
      if (terminated) return;
      terminated = true;
      // Queued and running calls reject now; a running one's worker is stopped by its cancellation.
      void queue.close({ abortRunning: true });
      if (session) {
        session.remote[Comlink.releaseProxy]();
        stop(session);
      }
    },
  };
}
