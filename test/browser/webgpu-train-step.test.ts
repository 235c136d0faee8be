/**
 * One training step on WebGPU in headless Chromium (Debian's `chromium`
 * through playwright-core, `--enable-unsafe-webgpu`, which offers only
 * SwiftShader, a software adapter) against the same step on tfjs-backend-cpu
 * in Node: fixtures/train-step.ts (trainStep on a width-0.25 style network
 * with a random VGG-16 loss network and plain SGD), bundled with esbuild into
 * a page that forces webgpu through the browser runtime. The loss terms and
 * the gradients must agree to 1e-4 relative (each term; max |webgpu - cpu| /
 * max |cpu| per parameter), as in test/runtime/webgpu-parity.test.ts (float32
 * on both, summation order apart), and on each side the update must be SGD's
 * on its own gradients. The shapes are those of the parity test's training
 * step (8 x 8): on SwiftShader most of the time goes to compiling shaders.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as esbuild from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initParams } from '../../src/networks/init.js';
import { Random } from '../../src/random.js';
import { useBackend } from '../helpers/backends.js';
import { CHROMIUM, chromiumArgs, chromiumSkipMessage } from '../helpers/chromium.js';
import { relativeError, scaleOf } from '../helpers/webgpu.js';
import { LEARNING_RATE, PARAMS_SEED, runTrainStep, STEP_ARCH, type TrainStepInputs, type TrainStepResult } from './fixtures/train-step.js';
import type { PageAnswer } from './fixtures/train-step.page.js';

const TOLERANCE = 1e-4;
const SIZE = 8;

function image(seed: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: SIZE * SIZE * 3 }, () => rng.next());
}

/** The page script, bundled for the browser with the example build's guard against Node imports. */
async function pageScript(): Promise<Uint8Array> {
  const { noNodeBuiltins } = (await import('../../examples/web/build.mjs' as string)) as { noNodeBuiltins(): esbuild.Plugin };
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./fixtures/train-step.page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    plugins: [noNodeBuiltins()],
  });
  return result.outputFiles[0]!.contents;
}

/** Each side's update is SGD's on the gradients it computed: updated = initial - lr * gradient, to float32 rounding. */
function assertSgdUpdate(side: string, step: TrainStepResult, initial: Record<string, number[]>): void {
  for (const [name, start] of Object.entries(initial)) {
    const grad = step.gradients[name]!;
    const expected = start.map((v, i) => v - LEARNING_RATE * grad[i]!);
    const error = Math.max(...expected.map((v, i) => Math.abs(step.updated[name]![i]! - v)));
    assert.ok(error <= 1e-6 * Math.max(scaleOf(start), LEARNING_RATE * scaleOf(grad)), `${side} ${name}: not the SGD update of its gradient (off by ${error})`);
  }
}

if (!existsSync(CHROMIUM)) {
  console.log(chromiumSkipMessage('test/browser/webgpu-train-step.test.ts'));
} else {
  test('a training step on webgpu in headless Chromium matches the cpu backend in Node', async () => {
    const inputs: TrainStepInputs = { size: SIZE, content: image(31), style: image(32) };
    await useBackend('cpu');
    const reference = await runTrainStep(inputs);
    const params = initParams(STEP_ARCH, PARAMS_SEED);
    const initial = Object.fromEntries(Object.entries(params).map(([name, t]) => [name, Array.from(t.dataSync())]));
    tf.dispose(Object.values(params));

    const html = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/train-step.js"></script>';
    const routes = new Map<string, [string, Uint8Array | string]>([
      ['/', ['text/html', html]],
      ['/train-step.js', ['text/javascript', await pageScript()]],
    ]);
    const server = createServer((request, response) => {
      const route = routes.get(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
      if (route === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': route[0] }).end(route[1]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs({ webgpu: true }),
    });
    let got: PageAnswer;
    const errors: string[] = [];
    const t0 = performance.now();
    try {
      const page = await browser.newPage();
      page.on('pageerror', (error) => errors.push(error.message));
      // localhost is a secure context, where navigator.gpu exists.
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => 'trainStepOnWebGpu' in globalThis);
      got = await page.evaluate((i) => (globalThis as unknown as { trainStepOnWebGpu(i: TrainStepInputs): Promise<PageAnswer> }).trainStepOnWebGpu(i), inputs);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
    const seconds = (performance.now() - t0) / 1000;
    if ('skip' in got) return console.log(`SKIP test/browser/webgpu-train-step.test.ts: ${got.skip}`);

    assert.equal(errors, []);
    assert.is(got.runtime.backend, 'webgpu');
    assert.is(got.runtime.tfBackend, 'webgpu');
    assert.is(got.activeBackend, 'webgpu');
    assert.equal([got.runtime.details.adapter, got.runtime.details.software], ['google swiftshader', true]);
    assert.is(reference.leakedTensors, 0, 'no tensor leaks on cpu');
    assert.is(got.leakedTensors, 0, 'no tensor leaks on webgpu');

    assert.is(got.terms.length, reference.terms.length);
    let worst = 0;
    for (const [i, expected] of reference.terms.entries()) {
      const error = relativeError([got.terms[i]!], [expected]);
      assert.ok(expected > 0 && error <= TOLERANCE, `loss term ${i}: ${got.terms[i]} vs ${expected} (relative error ${error.toExponential(2)})`);
      worst = Math.max(worst, error);
    }
    assert.equal(Object.keys(got.gradients), Object.keys(reference.gradients));
    // A per-channel shift that a later instance norm removes (the residual block's norm2.beta)
    // has a zero loss gradient: both backends give float noise there, so only that is checked.
    const largest = Math.max(...Object.values(reference.gradients).map(scaleOf));
    for (const [name, expected] of Object.entries(reference.gradients)) {
      const actual = got.gradients[name]!;
      if (scaleOf(expected) < 1e-6 * largest) {
        assert.ok(scaleOf(actual) < 1e-5 * largest, `d ${name}: ${scaleOf(actual)} is not float noise`);
        continue;
      }
      const error = relativeError(actual, expected);
      assert.ok(error <= TOLERANCE, `d ${name}: relative error ${error.toExponential(2)} > ${TOLERANCE}`);
      worst = Math.max(worst, error);
    }
    assertSgdUpdate('cpu', reference, initial);
    assertSgdUpdate('webgpu', got, initial);
    console.log(`webgpu train step in Chromium on ${got.runtime.details.adapter}: worst relative error ${worst.toExponential(2)}, browser part ${seconds.toFixed(1)} s`);
  });
}

test.run();
