/**
 * @file The main-thread side of the browser worker: starts
 * workers/infer.browser.ts (bundled) as a module worker, wraps it with
 * comlink, and turns results into `ImageData`.
 */
import * as Comlink from 'comlink';
import { optionTypeError } from '../errors.js';
import type { Runtime } from '../runtime/select-backend.js';
import type { ModelInfo, StylizeOptions, StylizerWorkerApi, WorkerInfo } from './protocol.js';

/** Options of {@link createBrowserStylizer}. */
export interface BrowserStylizerOptions {
  /** URL of the bundled worker script (an ES module), e.g. `new URL('./worker.js', import.meta.url)`. */
  readonly workerUrl: string | URL;
  /**
   * URL prefix serving tfjs-backend-wasm.wasm and tfjs-backend-wasm-simd.wasm
   * (copy them from node_modules/@tensorflow/tfjs-backend-wasm/dist). Relative
   * prefixes are resolved against the page. Without it the worker uses the CPU backend.
   */
  readonly wasmPath?: string | URL;
  /** Force `wasm` or `cpu`. */
  readonly backend?: 'wasm' | 'cpu';
}

/** A stylizer running in its own worker. */
export interface BrowserStylizer {
  /** The backend the worker chose. */
  readonly runtime: Runtime;
  /**
   * Loads a perceptual `.safetensors` model from a URL (relative to the page;
   * the worker fetches it) or from bytes. The buffer of a Uint8Array or
   * ArrayBuffer is transferred, so the caller's copy is detached afterwards.
   */
  loadModel(source: string | URL | Uint8Array | ArrayBuffer | Blob, name?: string): Promise<ModelInfo>;
  /**
   * Stylises an image. An `ImageBitmap` is transferred to the worker (and
   * unusable afterwards); an `ImageData` is copied.
   * @returns a new ImageData (RGBA, opaque) and the worker's run time
   */
  stylize(image: ImageBitmap | ImageData, options?: StylizeOptions): Promise<{ image: ImageData; milliseconds: number }>;
  info(): Promise<WorkerInfo>;
  /** Frees the model and stops the worker; pending calls reject. */
  terminate(): void;
}

function absolute(url: string | URL): string {
  const base = typeof document !== 'undefined' ? document.baseURI : (globalThis as { location?: { href: string } }).location?.href;
  return new URL(String(url), base).href;
}

/**
 * Starts a stylizer worker and selects its backend.
 * @example
 *   const stylizer = await createBrowserStylizer({ workerUrl: './worker.js', wasmPath: './wasm/' });
 *   await stylizer.loadModel('./models/starter-style.safetensors');
 *   const { image } = await stylizer.stylize(await createImageBitmap(file));
 *   canvas.getContext('2d').putImageData(image, 0, 0);
 * @throws TypeError E_OPTIONS for a missing workerUrl; PerceptualError E_BACKEND_UNAVAILABLE from the worker
 */
export async function createBrowserStylizer(options: BrowserStylizerOptions): Promise<BrowserStylizer> {
  if (options === null || typeof options !== 'object') throw optionTypeError('options', 'an object with workerUrl', options);
  if (typeof options.workerUrl !== 'string' && !(options.workerUrl instanceof URL)) {
    throw optionTypeError('options.workerUrl', 'the URL of the bundled worker script (string or URL)', options.workerUrl);
  }
  const worker = new Worker(absolute(options.workerUrl), { type: 'module', name: 'perceptual-stylizer' });
  const remote = Comlink.wrap<StylizerWorkerApi>(worker);
  let runtime: Runtime;
  try {
    runtime = await remote.init({
      ...(options.wasmPath !== undefined ? { wasmPath: absolute(options.wasmPath) } : {}),
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
    });
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return {
    runtime,
    async loadModel(source, name) {
      if (typeof source === 'string' || source instanceof URL) return remote.loadModel(absolute(source), name ?? String(source));
      const bytes = source instanceof Blob ? await source.arrayBuffer() : source;
      const buffer = bytes instanceof Uint8Array ? bytes.buffer : bytes;
      return remote.loadModel(Comlink.transfer(bytes, [buffer as ArrayBuffer]), name);
    },
    async stylize(image, stylizeOptions = {}) {
      const sent = typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap ? Comlink.transfer(image, [image]) : image;
      const result = await remote.stylize(sent, stylizeOptions);
      return { image: new ImageData(result.data as Uint8ClampedArray<ArrayBuffer>, result.width, result.height), milliseconds: result.milliseconds };
    },
    info: () => remote.info(),
    terminate() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
