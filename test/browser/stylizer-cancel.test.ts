/**
 * Cancellation in the browser stylizer client (src/browser/stylizer-client.ts),
 * run in Node: each "worker" is one end of a MessageChannel whose other end
 * exposes, through comlink, a fake StylizerWorkerApi that logs its calls. A
 * job whose image is tagged HANG never answers (like a synchronous WASM run
 * that cannot be interrupted); other jobs answer after a few ms with the
 * input bytes + 1, so each result identifies its job.
 */
import * as Comlink from 'comlink';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBrowserStylizer, type BrowserStylizer, type StylizerWorkerEndpoint } from '../../src/browser/stylizer-client.js';
import type { ModelInfo, StylizeOptions, StylizerWorkerApi, WorkerInitOptions } from '../../src/browser/protocol.js';
import type { Runtime } from '../../src/runtime/select-backend.js';
import '../helpers/image-data.js';

const HANG = 200;
const RUNTIME = { backend: 'cpu', details: {} } as unknown as Runtime;


type Call = ['init', WorkerInitOptions | undefined] | ['loadModel', string | number[], string | undefined] | ['stylize', number, StylizeOptions | undefined];

interface FakeWorker {
  readonly calls: Call[];
  terminated: boolean;
  /** Fires the endpoint's 'error' event, as a Worker does on an uncaught error (a WASM abort). */
  crash(message: string): void;
}

/** A worker factory and the log of every worker it started. */
function fakeWorkers(): { createWorker: () => StylizerWorkerEndpoint; workers: FakeWorker[]; started: (tag: number) => Promise<FakeWorker> } {
  const workers: FakeWorker[] = [];
  const waiters = new Map<number, (worker: FakeWorker) => void>();
  const createWorker = (): StylizerWorkerEndpoint => {
    const { port1, port2 } = new MessageChannel();
    const fake: FakeWorker = {
      calls: [],
      terminated: false,
      crash: (message) => port2.dispatchEvent(Object.assign(new Event('error'), { message })),
    };
    workers.push(fake);
    const api: StylizerWorkerApi = {
      async init(options) {
        fake.calls.push(['init', options]);
        return RUNTIME;
      },
      async loadModel(source, name) {
        fake.calls.push(['loadModel', typeof source === 'string' ? source : Array.from(new Uint8Array(source)), name]);
        return { source: name ?? 'bytes' } as unknown as ModelInfo;
      },
      async stylize(image, options) {
        const data = (image as { data: Uint8ClampedArray }).data;
        fake.calls.push(['stylize', data[0]!, options]);
        waiters.get(data[0]!)?.(fake);
        if (data[0] === HANG) return new Promise(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { data: data.map((v) => v + 1), width: image.width, height: image.height, milliseconds: 5 };
      },
      async info() {
        return { runtime: RUNTIME, model: null, tfjsVersion: 'fake', numTensors: 0 };
      },
      async dispose() {},
    };
    Comlink.expose(api, port1);
    return {
      postMessage: (message: unknown, transfer?: Transferable[]) => port2.postMessage(message, transfer ?? []),
      addEventListener: port2.addEventListener.bind(port2) as StylizerWorkerEndpoint['addEventListener'],
      removeEventListener: port2.removeEventListener.bind(port2) as StylizerWorkerEndpoint['removeEventListener'],
      start: () => port2.start(),
      terminate() {
        fake.terminated = true;
        port1.close();
        port2.close();
      },
    };
  };
  const started = (tag: number): Promise<FakeWorker> => new Promise((resolve) => waiters.set(tag, resolve));
  return { createWorker, workers, started };
}

/** A 2x1 RGBA image whose first byte tags the job. */
function image(tag: number): ImageData {
  return { data: new Uint8ClampedArray([tag, 0, 0, 255, tag, 0, 0, 255]), width: 2, height: 1 } as unknown as ImageData;
}

async function setup(timeoutMs?: number): Promise<{ stylizer: BrowserStylizer } & ReturnType<typeof fakeWorkers>> {
  const fakes = fakeWorkers();
  const stylizer = await createBrowserStylizer({
    createWorker: fakes.createWorker,
    wasmPath: 'http://example.test/wasm/',
    backend: 'cpu',
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  return { stylizer, ...fakes };
}

const MODEL_URL = 'http://example.test/models/style.safetensors';
const INIT: Call = ['init', { wasmPath: 'http://example.test/wasm/', backend: 'cpu' }];

/** Settles `promise` or reports 'pending' after `ms` (fake timers are not needed: the client rejects synchronously on abort). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | Error | 'pending'> {
  return Promise.race([promise.catch((error: Error) => error), new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);
}

test('abort of a running job rejects at once with the abort error and terminates its worker', async () => {
  const { stylizer, workers, started } = await setup();
  try {
    await stylizer.loadModel(MODEL_URL);
    const controller = new AbortController();
    const running = stylizer.stylize(image(HANG), { signal: controller.signal });
    await started(HANG);
    assert.is(await within(running, 20), 'pending', 'the fake job hangs until cancelled');
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    const error = (await within(running, 20)) as Error & { code?: string };
    assert.instance(error, Error);
    assert.is(error.name, 'AbortError');
    assert.is(error.code, 'E_ABORTED');
    assert.is(error.cause, reason);
    assert.match(error.message, /aborted by its AbortSignal/);
    assert.is(workers.length, 1);
    assert.ok(workers[0]!.terminated, 'the worker stuck in the job was terminated');
  } finally {
    stylizer.terminate();
  }
});

test('a timeout rejects with the timeout error and terminates the worker (per call and default)', async () => {
  const { stylizer, workers, started } = await setup(40);
  try {
    await stylizer.loadModel(MODEL_URL);
    const t0 = performance.now();
    const perCall = stylizer.stylize(image(HANG), { timeoutMs: 30 });
    await started(HANG);
    const error = (await within(perCall, 2000)) as Error & { code?: string };
    const elapsed = performance.now() - t0;
    assert.is(error.name, 'AbortError');
    assert.is(error.code, 'E_ABORTED');
    assert.match(error.message, /timed out after 30 ms \(timeoutMs\)/);
    assert.ok(elapsed >= 29 && elapsed < 1000, `rejected after ${elapsed.toFixed(0)} ms`);
    assert.ok(workers[0]!.terminated);
    // The default from createBrowserStylizer({ timeoutMs: 40 }).
    const byDefault = stylizer.stylize(image(HANG));
    const error2 = (await within(byDefault, 2000)) as Error;
    assert.match(error2.message, /timed out after 40 ms/);
    assert.is(workers.length, 2);
    assert.ok(workers[1]!.terminated);
    // 0 switches the default off; a fast job is unaffected by a limit it meets.
    const fast = await stylizer.stylize(image(7), { timeoutMs: 0 });
    assert.equal(Array.from(fast.image.data), [8, 1, 1, 255, 8, 1, 1, 255]);
  } finally {
    stylizer.terminate();
  }
});

test('the next call after an abort runs on a new worker with init re-run and the model reloaded', async () => {
  const { stylizer, workers, started } = await setup();
  try {
    await stylizer.loadModel(MODEL_URL, 'starter');
    const controller = new AbortController();
    const cancelled = stylizer.stylize(image(HANG), { signal: controller.signal }).catch((error: Error) => error);
    await started(HANG);
    controller.abort();
    assert.is(((await cancelled) as Error).name, 'AbortError');
    const result = await stylizer.stylize(image(9), { tile: 64 });
    assert.equal(Array.from(result.image.data), [10, 1, 1, 255, 10, 1, 1, 255]);
    assert.is(workers.length, 2);
    assert.equal(workers[0]!.calls.map((c) => c[0]), ['init', 'loadModel', 'stylize']);
    assert.equal(workers[1]!.calls, [INIT, ['loadModel', MODEL_URL, 'starter'], ['stylize', 9, { tile: 64 }]]);
    assert.not.ok(workers[1]!.terminated);
    assert.is((await stylizer.info()).tfjsVersion, 'fake');
    assert.equal(stylizer.runtime, RUNTIME, 'the runtime of the latest init');
  } finally {
    stylizer.terminate();
  }
});

test('a byte model is kept as a copy and reloaded byte-for-byte; the caller buffer is not detached', async () => {
  const { stylizer, workers, started } = await setup();
  try {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    await stylizer.loadModel(bytes, 'mine');
    bytes[0] = 99; // the caller may reuse its buffer: the reload must not see it
    assert.is(bytes.byteLength, 4);
    const cancelled = stylizer.stylize(image(HANG), { timeoutMs: 10 }).catch((error: Error) => error);
    await started(HANG);
    await cancelled;
    await stylizer.stylize(image(1));
    assert.equal(workers[0]!.calls[1], ['loadModel', [1, 2, 3, 4], 'mine']);
    assert.equal(workers[1]!.calls.slice(0, 2), [INIT, ['loadModel', [1, 2, 3, 4], 'mine']]);
  } finally {
    stylizer.terminate();
  }
});

test('calls queued behind an aborted one complete on the fresh worker, in order', async () => {
  const { stylizer, workers, started } = await setup();
  try {
    await stylizer.loadModel(MODEL_URL);
    const controller = new AbortController();
    const order: number[] = [];
    const first = stylizer.stylize(image(HANG), { signal: controller.signal }).catch((error: Error) => error);
    const second = stylizer.stylize(image(20)).then((r) => (order.push(20), r.image.data[0]));
    const third = stylizer.stylize(image(30)).then((r) => (order.push(30), r.image.data[0]));
    await started(HANG);
    controller.abort();
    assert.is(((await first) as Error).name, 'AbortError');
    assert.equal(await Promise.all([second, third]), [21, 31]);
    assert.equal(order, [20, 30]);
    assert.equal(workers[0]!.calls.filter((c) => c[0] === 'stylize').map((c) => c[1]), [HANG]);
    assert.equal(workers[1]!.calls.filter((c) => c[0] === 'stylize').map((c) => c[1]), [20, 30]);
  } finally {
    stylizer.terminate();
  }
});

test('an already-aborted signal, or an abort while queued, never reaches the worker nor stops it', async () => {
  const { stylizer, workers } = await setup();
  try {
    await stylizer.loadModel(MODEL_URL);
    const reason = new Error('too late');
    const error = (await within(stylizer.stylize(image(5), { signal: AbortSignal.abort(reason) }), 20)) as Error & { code?: string };
    assert.is(error.name, 'AbortError');
    assert.is(error.code, 'E_ABORTED');
    assert.is(error.cause, reason);

    const controller = new AbortController();
    const ahead = stylizer.stylize(image(6));
    const queued = stylizer.stylize(image(7), { signal: controller.signal }).catch((e: Error) => e);
    controller.abort();
    assert.is(((await queued) as Error).name, 'AbortError');
    assert.is((await ahead).image.data[0], 7);
    assert.is(workers.length, 1);
    assert.not.ok(workers[0]!.terminated, 'aborting a queued job leaves the running worker alone');
    assert.equal(workers[0]!.calls.filter((c) => c[0] === 'stylize').map((c) => c[1]), [6]);
  } finally {
    stylizer.terminate();
  }
});

test('signal and timeoutMs stay on this thread; the rest of the options reach the worker', async () => {
  const { stylizer, workers } = await setup();
  try {
    await stylizer.loadModel(MODEL_URL);
    await stylizer.stylize(image(3), { signal: new AbortController().signal, timeoutMs: 5000, tile: 128, tiling: 'always' });
    assert.equal(workers[0]!.calls.at(-1), ['stylize', 3, { tile: 128, tiling: 'always' }]);
  } finally {
    stylizer.terminate();
  }
});

test('terminate() rejects running and queued calls, stops the worker, and later calls reject', async () => {
  const { stylizer, workers, started } = await setup();
  await stylizer.loadModel(MODEL_URL);
  const running = stylizer.stylize(image(HANG)).catch((e: Error) => e);
  const queued = stylizer.stylize(image(4)).catch((e: Error) => e);
  await started(HANG);
  stylizer.terminate();
  for (const error of [await running, await queued, await stylizer.stylize(image(4)).catch((e: Error) => e)]) {
    assert.is((error as Error).name, 'AbortError');
    assert.match((error as Error).message, /terminated; create a new one/);
  }
  assert.is(workers.length, 1);
  assert.ok(workers[0]!.terminated);
});

test('a worker that crashes mid-job is replaced and the job retried once; a second crash rejects E_WORKER_CRASHED', async () => {
  const { stylizer, workers, started } = await setup();
  await stylizer.loadModel(MODEL_URL, 'style');
  // First crash: the job reruns on a fresh worker (init + model reload) and succeeds.
  const once = stylizer.stylize(image(HANG));
  const first = await started(HANG);
  const second = started(HANG);
  first.crash('RuntimeError: Aborted(OOM)');
  (await second).crash('RuntimeError: Aborted(OOM)');
  const error = (await within(once, 500)) as Error & { code?: string };
  assert.instance(error, Error);
  assert.is(error.code, 'E_WORKER_CRASHED');
  assert.match(error.message, /Aborted\(OOM\)/);
  assert.equal(workers.map((w) => w.terminated), [true, true]);
  assert.equal(workers[1]!.calls.slice(0, 2), [INIT, ['loadModel', MODEL_URL, 'style']]);
  // The stylizer keeps serving on a third worker.
  const { image: out } = await stylizer.stylize(image(7));
  assert.is(out.data[0], 8);
  assert.is(workers.length, 3);
  stylizer.terminate();
});

test('after one crash the same job is resent to a fresh worker (init, model reload, stylize)', async () => {
  const { stylizer, workers, started } = await setup();
  await stylizer.loadModel(MODEL_URL, 'style');
  const pending = stylizer.stylize(image(HANG));
  (await started(HANG)).crash('boom');
  // A HANG job never answers, so check that the retry reached worker 2 and is still cancellable.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(workers[1]!.calls.map((c) => c[0]), ['init', 'loadModel', 'stylize']);
  assert.ok(workers[0]!.terminated);
  stylizer.terminate();
  assert.is(((await within(pending, 100)) as Error & { code?: string }).code, 'E_ABORTED');
});

test('bad options are rejected with E_OPTIONS', async () => {
  const noUrl = (await createBrowserStylizer({}).catch((e: unknown) => e)) as TypeError & { code?: string };
  assert.instance(noUrl, TypeError);
  assert.match(noUrl.message, /options\.workerUrl must be/);
  const fakes = fakeWorkers();
  const negative = (await createBrowserStylizer({ createWorker: fakes.createWorker, timeoutMs: -1 }).catch((e: unknown) => e)) as RangeError & { code?: string };
  assert.is(negative.code, 'E_OPTIONS');
  assert.match(negative.message, /options\.timeoutMs must be an integer >= 0/);
  assert.is(fakes.workers.length, 0, 'no worker was started');
  const { stylizer, workers } = await setup();
  try {
    const error = (await stylizer.stylize(image(1), { timeoutMs: 1.5 }).catch((e: unknown) => e)) as RangeError & { code?: string };
    assert.instance(error, RangeError);
    assert.is(error.code, 'E_OPTIONS');
    assert.is(workers[0]!.calls.length, 1, 'only init reached the worker');
  } finally {
    stylizer.terminate();
  }
});

test.run();
