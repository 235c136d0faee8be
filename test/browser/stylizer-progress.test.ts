/**
 * Progress in the browser stylizer client (src/browser/stylizer-client.ts),
 * run in Node against a fake worker (one end of a MessageChannel exposing a
 * StylizerWorkerApi through comlink): `onProgress` gets the worker's reports
 * over a port of the client's own, which is closed when the call settles,
 * also when it is cancelled while the worker hangs (the worker is terminated
 * then, so nothing else would close it).
 */
import * as Comlink from 'comlink';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBrowserStylizer, type StylizerWorkerEndpoint } from '../../src/browser/stylizer-client.js';
import type { ModelInfo, StylizeProgress, StylizerWorkerApi } from '../../src/browser/protocol.js';
import type { Runtime } from '../../src/runtime/select-backend.js';
import '../helpers/image-data.js';

const RUNTIME = { backend: 'cpu', details: {} } as unknown as Runtime;
const HANG = 9;


/** A worker that reports `tiles` tiles of progress to the port it is given, or hangs for the HANG image. */
function fakeWorker(tiles: number, received: Array<unknown>): () => StylizerWorkerEndpoint {
  return () => {
    const { port1, port2 } = new MessageChannel();
    const api: StylizerWorkerApi = {
      init: async () => RUNTIME,
      loadModel: async () => ({ source: 'fake' }) as unknown as ModelInfo,
      async stylize(image, _options, progress) {
        received.push(progress);
        if ((image as ImageData).data[0] === HANG) return new Promise(() => undefined);
        for (let done = 1; done <= tiles; done++) (progress as MessagePort | undefined)?.postMessage({ done, total: tiles });
        // Let the reports arrive before the answer, as a real tiled run's do.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { data: new Uint8ClampedArray(4), width: 1, height: 1, milliseconds: 1 };
      },
      info: async () => ({ runtime: RUNTIME, model: null, tfjsVersion: 'fake', numTensors: 0 }),
      dispose: async () => undefined,
    };
    Comlink.expose(api, port1);
    return Object.assign(port2, { terminate: () => (port1.close(), port2.close()) }) as unknown as StylizerWorkerEndpoint;
  };
}

const pixel = (tag: number): ImageData => ({ data: new Uint8ClampedArray([tag, 0, 0, 255]), width: 1, height: 1 }) as unknown as ImageData;

test('onProgress gets each report on this thread; without it no port is sent', async () => {
  const received: unknown[] = [];
  const stylizer = await createBrowserStylizer({ createWorker: fakeWorker(3, received) });
  try {
    await stylizer.loadModel('http://example.test/m.safetensors');
    const reports: StylizeProgress[] = [];
    await stylizer.stylize(pixel(1), { onProgress: (progress) => reports.push(progress) });
    assert.equal(reports, [{ done: 1, total: 3 }, { done: 2, total: 3 }, { done: 3, total: 3 }]);
    await stylizer.stylize(pixel(1));
    assert.is(received.length, 2);
    assert.ok(received[0] instanceof MessagePort, 'a port crossed to the worker');
    assert.is(received[1], undefined);
  } finally {
    stylizer.terminate();
  }
});

test('a cancelled call with onProgress closes its port; a non-function onProgress is refused', async () => {
  const received: unknown[] = [];
  const stylizer = await createBrowserStylizer({ createWorker: fakeWorker(1, received) });
  try {
    await stylizer.loadModel('http://example.test/m.safetensors');
    const controller = new AbortController();
    const running = stylizer.stylize(pixel(HANG), { signal: controller.signal, onProgress: () => undefined }).catch((error: Error) => error);
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const port = received[0] as MessagePort;
    const closed = new Promise<string>((resolve) => {
      port.addEventListener('close', () => resolve('closed'));
      setTimeout(() => resolve('still open'), 500);
    });
    controller.abort();
    assert.is(((await running) as Error).name, 'AbortError');
    assert.is(await closed, 'closed', 'the client closed its end of the progress port');
    const bad = await stylizer.stylize(pixel(1), { onProgress: 'yes' as unknown as () => void }).catch((error: Error & { code?: string }) => error);
    assert.is((bad as { code?: string }).code, 'E_OPTIONS');
    assert.match((bad as Error).message, /options\.onProgress must be a function/);
  } finally {
    stylizer.terminate();
  }
});

test.run();
