/**
 * @file The object workers/infer.browser.ts exposes through comlink: backend
 * selection, model loading (a .safetensors URL or bytes, or an ml5
 * checkpoint folder URL) and the run of a style or SR model on RGBA images,
 * with progress, with no comlink or DOM dependency of its own beyond
 * `OffscreenCanvas` for `ImageBitmap` input, so Node tests can drive it
 * directly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionTypeError, perceptualError } from '../errors.js';
import { downloadBytes } from '../fetch-bytes.js';
import { inferImage, type InferOptions } from '../infer/infer-image.js';
import { selectBrowserBackend } from '../runtime/select-backend.browser.js';
import type { Runtime } from '../runtime/select-backend.js';
import type { TransformModel } from '../types.js';
import { fetchMl5Checkpoint, isMl5CheckpointUrl } from '../weights/fetch-ml5-checkpoint.js';
import { parseModel } from '../weights/model-file.js';
import type { ModelInfo, StylizeOptions, StylizeProgressSink, StylizeResult, StylizerWorkerApi, WorkerInitOptions, WorkerInfo } from './protocol.js';
import { type RgbaImage, rgbaToRgb, rgbToRgba } from '../pixels.js';

/**
 * Reads an `ImageBitmap` into RGBA bytes through an `OffscreenCanvas`.
 * @throws PerceptualError E_IMAGE_DECODE where OffscreenCanvas is missing
 */
function bitmapPixels(bitmap: ImageBitmap): RgbaImage {
  if (typeof OffscreenCanvas === 'undefined') {
    throw perceptualError('E_IMAGE_DECODE', 'This runtime has no OffscreenCanvas to read an ImageBitmap. Pass an ImageData or { data, width, height } RGBA object instead.');
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  if (context === null) throw perceptualError('E_IMAGE_DECODE', 'OffscreenCanvas.getContext("2d") returned null. Pass an ImageData instead.');
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, bitmap.width, bitmap.height);
}

function isBitmap(image: unknown): image is ImageBitmap {
  return typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap;
}

/** The progress callback inferImage calls, from a callback or a port (closed by the returned `done`). */
function progressReporter(sink: StylizeProgressSink | undefined): { onProgress?: InferOptions['onProgress']; done(): void } {
  if (sink === undefined) return { done: () => undefined };
  if (typeof sink === 'function') return { onProgress: sink, done: () => undefined };
  return { onProgress: (progress) => sink.postMessage({ done: progress.done, total: progress.total }), done: () => sink.close() };
}

/**
 * Creates the worker-side API (one per worker: it owns the backend and one model).
 * @example
 *   // in a worker entry
 *   Comlink.expose(createStylizerWorkerApi());
 */
export function createStylizerWorkerApi(): StylizerWorkerApi {
  let runtime: Promise<Runtime> | undefined;
  let model: TransformModel | undefined;
  let modelInfo: ModelInfo | null = null;
  // Runs are chained: inferImage on one backend is not re-entrant across awaits of model swaps.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  const disposeModel = (): void => {
    if (model !== undefined) tf.dispose(Object.values(model.params));
    model = undefined;
    modelInfo = null;
  };

  const api: StylizerWorkerApi = {
    init(options: WorkerInitOptions = {}) {
      // A failed selection is not cached, so a caller can retry with other options.
      runtime ??= selectBrowserBackend(options).catch((error: unknown) => {
        runtime = undefined;
        throw error;
      });
      return runtime;
    },
    loadModel(source, name) {
      return serial(async () => {
        await api.init();
        let loaded: TransformModel;
        let label: string;
        if (typeof source === 'string') {
          label = name ?? source;
          loaded = isMl5CheckpointUrl(source) ? await fetchMl5Checkpoint(source) : parseModel(await downloadBytes(source, 'model'), label);
        } else if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
          label = name ?? 'uploaded model';
          loaded = parseModel(source instanceof Uint8Array ? source : new Uint8Array(source), label);
        } else {
          throw optionTypeError('source', 'a URL string, Uint8Array or ArrayBuffer holding a .safetensors model (or a URL of an ml5 checkpoint folder, ending in /)', source);
        }
        disposeModel();
        model = loaded;
        const parameters = Object.values(loaded.params).reduce((sum, t) => sum + t.size, 0);
        modelInfo = { source: label, arch: loaded.arch, provenance: loaded.provenance, parameters };
        return modelInfo;
      });
    },
    stylize(image, options: StylizeOptions = {}, progress) {
      const reporter = progressReporter(progress);
      return serial(async (): Promise<StylizeResult> => {
        if (model === undefined) throw perceptualError('E_OPTIONS', 'stylize was called before a model was loaded. Call loadModel(url or bytes) first.');
        await api.init();
        let rgba: RgbaImage;
        if (isBitmap(image)) {
          try {
            rgba = bitmapPixels(image);
          } finally {
            image.close();
          }
        } else {
          rgba = image;
        }
        const start = performance.now();
        const output = await inferImage(model, rgbaToRgb(rgba), { ...options, ...(reporter.onProgress ? { onProgress: reporter.onProgress } : {}) });
        const milliseconds = performance.now() - start;
        return { ...rgbToRgba(output), milliseconds };
      }).finally(reporter.done);
    },
    async info(): Promise<WorkerInfo> {
      return { runtime: runtime === undefined ? null : await runtime.catch(() => null), model: modelInfo, tfjsVersion: tf.version_core, numTensors: tf.memory().numTensors };
    },
    async dispose() {
      await serial(async () => disposeModel());
    },
  };
  return api;
}
