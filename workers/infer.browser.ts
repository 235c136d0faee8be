/**
 * @file Web Worker entry (bundle it as an ES module worker): exposes
 * createStylizerWorkerApi through comlink, transferring each result's pixel
 * buffer instead of copying it. Main-thread side: src/browser/stylizer-client.ts.
 */
import * as Comlink from 'comlink';
import type { StylizerWorkerApi } from '../src/browser/protocol.js';
import { createStylizerWorkerApi } from '../src/browser/stylizer-worker-api.js';

const api = createStylizerWorkerApi();

const exposed: StylizerWorkerApi = {
  ...api,
  async stylize(image, options, progress) {
    const result = await api.stylize(image, options, progress);
    // Transfer the RGBA buffer: an ImageData would be copied by structured clone.
    return Comlink.transfer(result, [result.data.buffer]);
  },
};

Comlink.expose(exposed);
