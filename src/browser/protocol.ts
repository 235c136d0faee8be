/**
 * @file The types the browser worker (workers/infer.browser.ts) and its
 * main-thread client (stylizer-client.ts) share. Everything here crosses a
 * `postMessage`, so it is structured-cloneable data only (no AbortSignal).
 */
import type { InferOptions } from '../infer/infer-image.js';
import type { RgbaImage } from '../pixels.js';
import type { Runtime } from '../runtime/select-backend.js';
import type { ModelProvenance, TransformArch } from '../types.js';

/** Options of the worker's `init`. */
export interface WorkerInitOptions {
  /** URL prefix serving tfjs-backend-wasm.wasm and tfjs-backend-wasm-simd.wasm (absolute, or relative to the worker script). */
  readonly wasmPath?: string;
  /** Force `webgpu`, `wasm` or `cpu`; default tries webgpu (a hardware adapter only), wasm, then cpu. */
  readonly backend?: 'webgpu' | 'wasm' | 'cpu';
}

/** Options of `stylize`: inferImage's options (tiling, statistics) without the signal and the callback, which cannot cross `postMessage`. */
export type StylizeOptions = Omit<InferOptions, 'signal' | 'onProgress'>;

/** Progress of a `stylize` call: `done` of `total` regions finished (1 of 1 for an image run whole, else tiles of every pass). */
export interface StylizeProgress {
  readonly done: number;
  readonly total: number;
}

/**
 * Where `stylize` reports progress: a callback (same thread), or a
 * `MessagePort` that receives each StylizeProgress as a message and is closed
 * when the call ends (how the client passes it across the worker boundary).
 */
export type StylizeProgressSink = ((progress: StylizeProgress) => void) | MessagePort;

/** What a loaded model is. */
export interface ModelInfo {
  readonly source: string;
  readonly arch: TransformArch;
  readonly provenance: ModelProvenance;
  /** Number of scalar parameters. */
  readonly parameters: number;
}

/** The worker's answer to `stylize`: RGBA bytes whose buffer is transferred, not copied. */
export interface StylizeResult extends RgbaImage {
  readonly data: Uint8ClampedArray;
  /** Wall time of the network run in the worker, in milliseconds. */
  readonly milliseconds: number;
}

/** What `info()` reports. */
export interface WorkerInfo {
  readonly runtime: Runtime | null;
  readonly model: ModelInfo | null;
  readonly tfjsVersion: string;
  /** Live tensors in the worker (flat between calls when nothing leaks). */
  readonly numTensors: number;
}

/** The API the worker exposes through comlink. */
export interface StylizerWorkerApi {
  /** Selects the backend (once; later calls return the same runtime). */
  init(options?: WorkerInitOptions): Promise<Runtime>;
  /**
   * Loads a model, replacing the previous one: a perceptual `.safetensors` model from a URL
   * (fetched by the worker) or from its bytes, or an ml5 checkpoint from a folder URL
   * (ending in `/` or `/manifest.json`).
   */
  loadModel(source: string | Uint8Array | ArrayBuffer, name?: string): Promise<ModelInfo>;
  /** Runs the loaded model (style or SR) on an image; an `ImageBitmap` is closed afterwards. */
  stylize(
    image: ImageBitmap | ImageData | RgbaImage,
    options?: StylizeOptions,
    progress?: StylizeProgressSink,
  ): Promise<StylizeResult>;
  info(): Promise<WorkerInfo>;
  /** Frees the model's tensors. */
  dispose(): Promise<void>;
}
