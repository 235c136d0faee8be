/**
 * @file Public surface of the browser build: the main-thread client, the
 * worker API (for custom worker entries and edge runtimes) and its types,
 * and the ml5 checkpoint reader over fetch.
 * Nothing under src/browser imports a `node:` module.
 */
import type { RgbaImage } from '../pixels.js';

export {
  type BrowserStylizeOptions,
  type BrowserStylizer,
  type BrowserStylizerOptions,
  createBrowserStylizer,
  type StylizerWorkerEndpoint,
} from './stylizer-client.js';
export { createStylizerWorkerApi } from './stylizer-worker-api.js';
export { type RgbaImage, type RgbImage, rgbaToRgb, rgbToRgba } from '../pixels.js';
/** @deprecated the same type under its new name, RgbaImage (the project's pixel buffers are declared in src/pixels.ts). */
export type RgbaPixels = RgbaImage;
export type { ModelInfo, StylizeOptions, StylizeProgress, StylizeProgressSink, StylizeResult, StylizerWorkerApi, WorkerInfo, WorkerInitOptions } from './protocol.js';
export { fetchMl5Checkpoint, type FetchMl5CheckpointOptions, isMl5CheckpointUrl } from '../weights/fetch-ml5-checkpoint.js';
export { BROWSER_BACKEND_ORDER, BROWSER_WASM_BINARIES } from '../runtime/candidates.browser.js';
export { currentBrowserRuntime, selectBrowserBackend, type SelectBrowserBackendOptions } from '../runtime/select-backend.browser.js';
