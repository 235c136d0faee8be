/**
 * The one job queue (src/serve/job-queue.ts), its abort helper
 * (src/serve/on-abort.ts) and crash-retry-once (src/serve/retry-once-on-crash.ts):
 * FIFO start up to `concurrency`, maxQueue, abort of a queued and of a
 * running job, timeouts counted from run(), close, counters, settle-once and
 * no listener left on a long-lived signal. Then the same scenarios, table
 * driven, against every runner built on it (the in-process pool, the worker
 * pool, the band runner, the browser stylizer with a fake worker), so that
 * they all answer alike: the same errors, codes and messages.
 */
import { getEventListeners, setMaxListeners } from 'node:events';
import * as Comlink from 'comlink';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBrowserStylizer, type StylizerWorkerEndpoint } from '../../src/browser/stylizer-client.js';
import type { ModelInfo, StylizerWorkerApi } from '../../src/browser/protocol.js';
import type { Runtime } from '../../src/runtime/select-backend.js';
import { createBandRunner } from '../../src/serve/band-runner.node.js';
import { createInProcessPool } from '../../src/serve/in-process-pool.js';
import { countOption, createJobQueue, type JobOptions, type JobQueueStats, timeoutOption } from '../../src/serve/job-queue.js';
import { onAbort } from '../../src/serve/on-abort.js';
import { bandRunnerClosedError } from '../../src/serve/pool-errors.js';
import { createPool } from '../../src/serve/pool.node.js';
import { retryOnceOnCrash } from '../../src/serve/retry-once-on-crash.js';
import { useBackend } from '../helpers/backends.js';
import { type ModelFiles, testImage, tinyModelFiles } from './fixtures.js';

type Coded = Error & { code?: string; cause?: unknown };

const FULL = /^The inference queue is full \(1 jobs waiting, 1 running\)\. Retry later/;
const ABORTED = /^The inference job was aborted by its AbortSignal$/;
const timedOut = (ms: number): RegExp => new RegExp(`^The inference job timed out after ${ms} ms \\(timeoutMs\\)\\. `);

/** A job whose work the test settles by hand, recording when it started and its work signal. */
interface Manual {
  started: boolean;
  signal?: AbortSignal;
  resolve(value: string): void;
  reject(error: unknown): void;
}

function manual(order?: string[], name?: string): { job: Manual; work: (signal: AbortSignal) => Promise<string> } {
  const job: Manual = { started: false, resolve: () => undefined, reject: () => undefined };
  const work = (signal: AbortSignal): Promise<string> => {
    job.started = true;
    job.signal = signal;
    if (order && name) order.push(name);
    return new Promise<string>((resolve, reject) => Object.assign(job, { resolve, reject }));
  };
  return { job, work };
}

async function failure(promise: Promise<unknown>): Promise<Coded> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, the promise resolved');
    },
    (error: unknown) => error as Coded,
  );
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

function isAbort(error: Coded, message: RegExp): void {
  assert.is(error.name, 'AbortError');
  assert.is(error.code, 'E_ABORTED');
  assert.match(error.message, message);
}

test('jobs start in call order, at most `concurrency` at once, the first ones within run()', async () => {
  const queue = createJobQueue({ concurrency: 2, maxQueue: 10 });
  const order: string[] = [];
  const jobs = ['a', 'b', 'c', 'd'].map((name) => manual(order, name));
  const results = jobs.map(({ work }) => queue.run(work));
  assert.equal(order, ['a', 'b'], 'two slots, taken synchronously');
  assert.equal(queue.stats, { queued: 2, running: 2, completed: 0, failed: 0 });
  jobs[1]!.job.resolve('B');
  assert.is(await results[1], 'B');
  await tick();
  assert.equal(order, ['a', 'b', 'c']);
  jobs[0]!.job.reject(new Error('a failed'));
  assert.match((await failure(results[0]!)).message, /^a failed$/, "the work's own error, untouched");
  await tick();
  assert.equal(order, ['a', 'b', 'c', 'd']);
  jobs[2]!.job.resolve('C');
  jobs[3]!.job.resolve('D');
  assert.equal(await Promise.all(results.slice(2)), ['C', 'D']);
  await tick();
  assert.equal(queue.stats, { queued: 0, running: 0, completed: 3, failed: 1 });
});

test('a work that throws synchronously rejects its job and frees its slot', async () => {
  const queue = createJobQueue({ concurrency: 1, maxQueue: 1 });
  const error = await failure(
    queue.run(() => {
      throw new RangeError('bad');
    }),
  );
  assert.instance(error, RangeError);
  assert.is(await queue.run(async () => 'next'), 'next');
});

test('maxQueue: E_QUEUE_FULL once `concurrency` run and `maxQueue` wait; refused jobs are not counted', async () => {
  const queue = createJobQueue({ concurrency: 1, maxQueue: 1 });
  const first = manual();
  const running = queue.run(first.work);
  const waiting = queue.run(async () => 'second');
  const refused = await failure(queue.run(async () => 'third'));
  assert.is(refused.name, 'PerceptualError');
  assert.is(refused.code, 'E_QUEUE_FULL');
  assert.match(refused.message, FULL);
  first.job.resolve('first');
  assert.equal(await Promise.all([running, waiting]), ['first', 'second']);
  assert.equal(queue.stats, { queued: 0, running: 0, completed: 2, failed: 0 });
  // maxQueue 0: an idle queue still runs a job; a busy one refuses.
  const none = createJobQueue({ concurrency: 1, maxQueue: 0 });
  const busy = manual();
  const only = none.run(busy.work);
  assert.match((await failure(none.run(async () => 'x'))).message, /queue is full \(0 jobs waiting, 1 running\)/);
  busy.job.resolve('ok');
  assert.is(await only, 'ok');
});

test('abort of a queued job: rejects at once with the reason as cause, never starts, leaves the queue', async () => {
  const queue = createJobQueue({ concurrency: 1, maxQueue: 5 });
  const blocker = manual();
  const running = queue.run(blocker.work);
  const controller = new AbortController();
  const queued = manual();
  const pending = queue.run(queued.work, { signal: controller.signal });
  const behind = queue.run(async () => 'behind');
  const reason = new Error('client left');
  controller.abort(reason);
  const error = await failure(pending);
  isAbort(error, ABORTED);
  assert.is(error.cause, reason);
  assert.equal(queue.stats, { queued: 1, running: 1, completed: 0, failed: 1 });
  blocker.job.resolve('done');
  assert.equal(await Promise.all([running, behind]), ['done', 'behind']);
  assert.not.ok(queued.job.started, 'a cancelled queued job never starts');
});

test("abort of a running job: rejects at once, aborts the work's signal, holds the slot until the work settles", async () => {
  const queue = createJobQueue({ concurrency: 1, maxQueue: 5 });
  const controller = new AbortController();
  const first = manual();
  const pending = queue.run(first.work, { signal: controller.signal });
  const next = manual();
  const queued = queue.run(next.work);
  const reason = new Error('stop');
  controller.abort(reason);
  const error = await failure(pending);
  isAbort(error, ABORTED);
  assert.is(error.cause, reason);
  assert.ok(first.job.signal!.aborted, "the work's signal is aborted");
  assert.is(first.job.signal!.reason, error, "its reason is the caller's error");
  await tick(5);
  assert.not.ok(next.job.started, 'the slot stays taken while the cancelled work runs on');
  assert.equal(queue.stats, { queued: 1, running: 1, completed: 0, failed: 1 });
  first.job.resolve('too late'); // settle-once: the caller's rejection stands, nothing is counted twice
  await tick();
  assert.ok(next.job.started);
  next.job.resolve('next');
  assert.is(await queued, 'next');
  assert.equal(queue.stats, { queued: 0, running: 0, completed: 1, failed: 1 });
});

test('an already-aborted signal rejects without queueing and is not counted', async () => {
  const queue = createJobQueue({ concurrency: 1, maxQueue: 0 });
  const reason = new Error('before');
  const job = manual();
  const error = await failure(queue.run(job.work, { signal: AbortSignal.abort(reason) }));
  isAbort(error, ABORTED);
  assert.is(error.cause, reason);
  assert.not.ok(job.job.started);
  assert.equal(queue.stats, { queued: 0, running: 0, completed: 0, failed: 0 });
});

test('timeoutMs counts from run(), queueing included; a running job times out too; 0 is no limit', async () => {
  const queue = createJobQueue({ concurrency: 1, maxQueue: 5 });
  const blocker = manual();
  const running = queue.run(blocker.work, { timeoutMs: 40 });
  const queued = manual();
  const t0 = performance.now();
  const waiting = queue.run(queued.work, { timeoutMs: 10 });
  const error = await failure(waiting);
  isAbort(error, timedOut(10));
  assert.match(String((error.cause as Error).message), /timeout 10 ms/);
  assert.ok(performance.now() - t0 >= 9, 'not before its time');
  assert.not.ok(queued.job.started, 'timed out while queued: never started');
  const late = await failure(running);
  isAbort(late, timedOut(40));
  assert.ok(blocker.job.signal!.aborted);
  blocker.job.reject(new Error('aborted work')); // settle-once: the timeout stands
  assert.is(await queue.run(async () => 'unlimited', { timeoutMs: 0 }), 'unlimited');
  assert.equal(queue.stats, { queued: 0, running: 0, completed: 1, failed: 2 });
});

test('close(): rejects queued jobs with the closed error, waits for running ones, refuses new ones', async () => {
  const queue = createJobQueue({ concurrency: 1, maxQueue: 5 });
  const first = manual();
  const running = queue.run(first.work);
  const queued = queue.run(async () => 'never');
  let closed = false;
  const closing = queue.close().then(() => (closed = true));
  assert.ok(queue.closed);
  const dropped = await failure(queued);
  isAbort(dropped, /^The inference pool is closed; create a new pool with createPool\(\)\.$/);
  isAbort(await failure(queue.run(async () => 'after')), /pool is closed/);
  await tick(5);
  assert.not.ok(closed, 'close waits for the running job');
  first.job.resolve('finished');
  assert.is(await running, 'finished', 'a running job finishes');
  await closing;
  assert.is(queue.close(), queue.close(), 'close is idempotent');
});

test('close({ abortRunning }): running jobs reject at once with the closed error; resolves when their work stops', async () => {
  const queue = createJobQueue({ concurrency: 2, maxQueue: 5, closedError: bandRunnerClosedError });
  const jobs = [manual(), manual()];
  const results = jobs.map(({ work }) => queue.run(work));
  let closed = false;
  const closing = queue.close({ abortRunning: true }).then(() => (closed = true));
  for (const result of results) isAbort(await failure(result), /^The band runner is closed; create a new one with createBandRunner\(\)\.$/);
  assert.ok(jobs.every(({ job }) => job.signal!.aborted));
  await tick(5);
  assert.not.ok(closed);
  jobs.forEach(({ job }) => job.reject(new Error('stopped')));
  await closing;
  assert.equal(queue.stats, { queued: 0, running: 0, completed: 0, failed: 2 });
});

test('a long-lived signal used by 100 jobs (done, failed, timed out, refused) holds no listener afterwards', async () => {
  const queue = createJobQueue({ concurrency: 2, maxQueue: 100 });
  const controller = new AbortController();
  const { signal } = controller;
  setMaxListeners(200, signal); // up to 100 jobs listen at once, by design
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < 100; i++) {
    const kind = i % 4;
    // kind 2 runs until its time limit aborts its work signal.
    const stopsOnAbort = (work: AbortSignal): Promise<never> => new Promise((_, reject) => work.addEventListener('abort', () => reject(work.reason)));
    const work = kind === 0 ? async () => i : kind === 1 ? async () => Promise.reject(new Error('no')) : kind === 2 ? stopsOnAbort : async () => i;
    runs.push(queue.run(work, { signal, timeoutMs: kind === 2 ? 5 : 0 }).catch(() => undefined));
  }
  assert.ok(getEventListeners(signal, 'abort').length > 0, 'jobs in flight listen');
  await Promise.all(runs);
  assert.is(getEventListeners(signal, 'abort').length, 0);
  assert.not.ok(signal.aborted);
});

test('onAbort: calls once with the reason, at once if already aborted; unsubscribe removes the listener', () => {
  const controller = new AbortController();
  const reasons: unknown[] = [];
  const unsubscribe = onAbort(controller.signal, (reason) => reasons.push(reason));
  assert.is(getEventListeners(controller.signal, 'abort').length, 1);
  unsubscribe();
  unsubscribe();
  assert.is(getEventListeners(controller.signal, 'abort').length, 0);
  onAbort(controller.signal, (reason) => reasons.push(reason));
  controller.abort('why');
  controller.abort('again');
  assert.equal(reasons, ['why']);
  onAbort(AbortSignal.abort('already'), (reason) => reasons.push(reason))();
  assert.equal(reasons, ['why', 'already']);
  onAbort(undefined, () => reasons.push('never'))();
  assert.equal(reasons, ['why', 'already']);
});

test('retryOnceOnCrash: one crash is retried; two fail with E_WORKER_CRASHED; other errors and aborted jobs are not retried', async () => {
  const crash = (n: number): Error => Object.assign(new Error(`worker exited (${n})`), { crash: true });
  const isCrash = (error: unknown): boolean => (error as { crash?: boolean }).crash === true;
  let calls = 0;
  const crashes: unknown[] = [];
  const once = await retryOnceOnCrash(async () => (++calls === 1 ? Promise.reject(crash(1)) : 'ok'), { what: 'a job', isCrash, onCrash: (e) => crashes.push(e) });
  assert.equal([once, calls, crashes.length], ['ok', 2, 1]);
  calls = 0;
  const twice = await failure(retryOnceOnCrash(async () => Promise.reject(crash(++calls)), { what: 'a 24x24 region', isCrash }));
  assert.is(twice.code, 'E_WORKER_CRASHED');
  assert.match(twice.message, /^A worker crashed while running a 24x24 region, and again on the retry \(worker exited \(2\)\)\./);
  assert.is((twice.cause as Error).message, 'worker exited (2)');
  calls = 0;
  const own = await failure(retryOnceOnCrash(async () => (calls++, Promise.reject(new RangeError('bad input'))), { what: 'x', isCrash }));
  assert.equal([own.name, calls], ['RangeError', 1]);
  calls = 0;
  const aborted = await failure(retryOnceOnCrash(async () => (calls++, Promise.reject(crash(1))), { what: 'x', isCrash, signal: AbortSignal.abort() }));
  assert.equal([aborted.message, calls], ['worker exited (1)', 1]);
});

test('option checks: TypeError for a wrong type, RangeError for a wrong value, both E_OPTIONS', () => {
  assert.is(countOption('options.workers', undefined, 3, 1), 3);
  assert.is(timeoutOption('options.timeoutMs', 0, 5), 0);
  const wrongType = (() => {
    try {
      countOption('options.workers', '2', 1, 1);
    } catch (error) {
      return error as Coded;
    }
  })()!;
  assert.instance(wrongType, TypeError);
  assert.is(wrongType.code, 'E_OPTIONS');
  assert.match(wrongType.message, /^options\.workers must be an integer >= 1 \(received "2"\)$/);
  assert.throws(() => countOption('options.maxQueue', -1, 1, 0), (e: Coded) => e instanceof RangeError && /options\.maxQueue must be an integer >= 0 \(received -1\)/.test(e.message));
  assert.throws(() => timeoutOption('options.timeoutMs', 1.5, 0), (e: Coded) => e instanceof RangeError && e.code === 'E_OPTIONS' && /milliseconds; 0 for no limit/.test(e.message));
});

// ---- Every runner answers alike --------------------------------------------------------------

/** A runner seen through one interface: `slow` lasts long enough (many ms) to be cancelled mid-run. */
interface Runner {
  run(kind: 'slow' | 'quick', options?: JobOptions): Promise<unknown>;
  close(): Promise<void>;
  readonly stats?: JobQueueStats;
}

interface RunnerCase {
  readonly name: string;
  open(): Promise<Runner>;
  /** Whether the runner bounds its queue (maxQueue 1 here); the others queue without limit. */
  readonly bounded: boolean;
  readonly closed: RegExp;
}

let files: ModelFiles;
const SLOW = testImage(128, 128);
const QUICK = testImage(16, 16);
const RUNTIME = { backend: 'cpu', details: {} } as unknown as Runtime;

/** A fake browser worker (comlink over a MessageChannel) whose stylize answers after 40 ms, or 2 ms for a 1x1 image. */
function fakeBrowserWorker(): StylizerWorkerEndpoint {
  const { port1, port2 } = new MessageChannel();
  const api: StylizerWorkerApi = {
    init: async () => RUNTIME,
    loadModel: async () => ({ source: 'fake' }) as unknown as ModelInfo,
    async stylize(image) {
      await tick(image.width === 1 ? 2 : 40);
      return { data: new Uint8ClampedArray(image.width * image.height * 4), width: image.width, height: image.height, milliseconds: 1 };
    },
    info: async () => ({ runtime: RUNTIME, model: null, tfjsVersion: 'fake', numTensors: 0 }),
    dispose: async () => undefined,
  };
  Comlink.expose(api, port1);
  return Object.assign(port2, { terminate: () => (port1.close(), port2.close()) }) as unknown as StylizerWorkerEndpoint;
}

const globals = globalThis as { ImageData?: unknown };
globals.ImageData ??= class {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
};

const RUNNERS: RunnerCase[] = [
  {
    name: 'in-process pool',
    bounded: true,
    closed: /^The inference pool is closed; create a new pool with createInProcessPool\(\)\.$/,
    async open() {
      const pool = await createInProcessPool({ model: files.style, maxQueue: 1, tile: 32 });
      return { run: (kind, options) => pool.run(kind === 'slow' ? SLOW : QUICK, options), close: () => pool.close(), get stats() { return pool.stats; } };
    },
  },
  {
    name: 'worker pool',
    bounded: true,
    closed: /^The inference pool is closed; create a new pool with createPool\(\)\.$/,
    async open() {
      const pool = await createPool({ model: files.style, workers: 1, maxQueue: 1 });
      return { run: (kind, options) => pool.run(kind === 'slow' ? SLOW : QUICK, options), close: () => pool.close(), get stats() { return pool.stats; } };
    },
  },
  {
    name: 'band runner',
    bounded: false,
    closed: /^The band runner is closed; create a new one with createBandRunner\(\)\.$/,
    async open() {
      const runner = await createBandRunner({ model: files.style, workers: 2 });
      return { run: (kind, options) => runner.run(kind === 'slow' ? SLOW : QUICK, options), close: () => runner.close(), get stats() { return runner.stats; } };
    },
  },
  {
    name: 'browser stylizer',
    bounded: false,
    closed: /^The browser stylizer was terminated; create a new one with createBrowserStylizer\(\)\.$/,
    async open() {
      const stylizer = await createBrowserStylizer({ createWorker: fakeBrowserWorker });
      await stylizer.loadModel(new Uint8Array([1]));
      const size = (kind: 'slow' | 'quick'): number => (kind === 'slow' ? 8 : 1);
      return {
        run: (kind, options) => stylizer.stylize({ data: new Uint8ClampedArray(size(kind) ** 2 * 4), width: size(kind), height: size(kind) } as unknown as ImageData, options),
        close: async () => stylizer.terminate(),
      };
    },
  },
];

test.before(async () => {
  await useBackend('cpu');
  files = await tinyModelFiles();
});

test.after(async () => {
  await files?.remove();
});

for (const c of RUNNERS) {
  test(`${c.name}: queue full, abort queued and running, already aborted, timeout, close — as every runner`, async () => {
    const runner = await c.open();
    const longLived = new AbortController(); // shared by every job below: must end with no listener
    const { signal } = longLived;
    const at = (what: string): string => `${c.name}: ${what}`;
    try {
      // One runs, one waits (and is aborted there); a bounded runner refuses a third.
      const first = runner.run('slow', { signal });
      const waitingAbort = new AbortController();
      const waiting = runner.run('slow', { signal: waitingAbort.signal });
      if (c.bounded) {
        const full = await failure(runner.run('quick', { signal }));
        assert.is(full.code, 'E_QUEUE_FULL', at('queue full'));
        assert.match(full.message, FULL, at('queue full message'));
      }
      if (runner.stats) assert.equal([runner.stats.running, runner.stats.queued], [1, 1], at('one running, one queued'));
      const leftQueue = new Error('left the queue');
      waitingAbort.abort(leftQueue);
      const dropped = await failure(waiting);
      isAbort(dropped, ABORTED);
      assert.is(dropped.cause, leftQueue, at('queued abort: the reason is the cause'));
      await first;

      const midRun = new AbortController();
      const stopped = runner.run('slow', { signal: midRun.signal });
      const stop = new Error('user pressed stop');
      midRun.abort(stop);
      const cancelled = await failure(stopped);
      isAbort(cancelled, ABORTED);
      assert.is(cancelled.cause, stop, at('running abort: the reason is the cause'));

      const early = new Error('gave up before');
      const never = await failure(runner.run('slow', { signal: AbortSignal.abort(early) }));
      isAbort(never, ABORTED);
      assert.is(never.cause, early, at('already aborted'));

      isAbort(await failure(runner.run('slow', { signal, timeoutMs: 1 })), timedOut(1));

      await runner.run('quick', { signal }); // and keeps serving
      if (runner.stats) {
        await waitFor(() => runner.stats!.running === 0, at('cancelled work to stop'));
        // Completed: first, quick; failed: the queued abort, the running abort, the timeout.
        assert.equal({ ...runner.stats, workers: 0, restarts: 0 }, { queued: 0, running: 0, completed: 2, failed: 3, workers: 0, restarts: 0 }, at('counters'));
      }
      assert.is(getEventListeners(signal, 'abort').length, 0, at('no listener left on a long-lived signal'));
    } finally {
      await runner.close();
    }
    const after = await failure(runner.run('quick'));
    isAbort(after, c.closed);
  });
}

test.run();
