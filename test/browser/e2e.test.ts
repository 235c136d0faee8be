/**
 * End-to-end: builds examples/web with esbuild, serves it from node:http on
 * 127.0.0.1, drives it in headless Chromium (Debian's `chromium`, through
 * playwright-core), stylises a synthetic 64x48 PNG with a model chosen from
 * the select (served at the default model URL) and then with an uploaded
 * one, and compares the page's output pixels with transform() on the Node
 * WASM backend.
 *
 * Tolerance: max |browser - node| <= 1 (one 8-bit step). Both sides run the
 * same tfjs-backend-wasm SIMD binary on the same float32 inputs, so they
 * normally agree exactly; a last-bit float difference (a different V8 or
 * XNNPACK code path) can only flip a value whose x255 lands next to a .5
 * rounding boundary, i.e. by one step. Any real error (wrong channel order,
 * alpha, colour conversion, padding, statistics) moves many pixels by far more.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import { parseModel, serializeModel } from '../../src/weights/model-file.js';
import { useBackend } from '../helpers/backends.js';

const CHROMIUM = '/usr/bin/chromium';
const WIDTH = 64;
const HEIGHT = 48;
const TOLERANCE = 1;

/** A deterministic RGB test card: gradients, a checker patch and a diagonal. */
function syntheticImage(): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      const checker = ((x >> 3) + (y >> 3)) % 2 === 0 && x < 32 && y < 24;
      data[i] = checker ? 250 : Math.round((x / (WIDTH - 1)) * 255);
      data[i + 1] = checker ? 20 : Math.round((y / (HEIGHT - 1)) * 255);
      data[i + 2] = Math.abs(x - y) < 3 ? 255 : (x * 7 + y * 13) % 256;
    }
  }
  return data;
}

function tinyModelBytes(seed: number): Uint8Array {
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
  const params = initParams(arch, seed);
  try {
    return serializeModel({ arch, params, provenance: { source: `e2e test, seed ${seed}` } });
  } finally {
    tf.dispose(Object.values(params));
  }
}

/** The Node reference: transform() on the WASM backend, rounded as tensorToRgb. */
async function nodeReference(modelBytes: Uint8Array, rgb: Uint8Array): Promise<Uint8Array> {
  const model = parseModel(modelBytes, 'reference');
  const input = imageToTensor(rgb, WIDTH, HEIGHT, 3);
  const output = transform(model, input, { lean: true });
  try {
    return (await tensorToRgb(output)).data;
  } finally {
    tf.dispose([input, output, ...Object.values(model.params)]);
  }
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream' };

function serve(root: string, overrides: Record<string, Uint8Array>): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const body = overrides[path] ?? (await readFile(join(root, normalize(path === '/' ? '/index.html' : path))).catch(() => undefined));
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function maxAbsDiff(rgba: readonly number[], rgb: Uint8Array): number {
  let max = 0;
  for (let p = 0; p < WIDTH * HEIGHT; p++) {
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[p * 4 + c]! - rgb[p * 3 + c]!));
  }
  return max;
}

if (!existsSync(CHROMIUM)) {
  console.log(`SKIP test/browser/e2e.test.ts: ${CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)`);
} else {
  test('the example page stylises like transform() on Node WASM (selected and uploaded model)', async () => {
    const started = performance.now();
    const { buildExample } = (await import('../../examples/web/build.mjs' as string)) as {
      buildExample(options: { outdir: string; minify?: boolean; model: null }): Promise<{ outdir: string }>;
    };
    const { chromium } = await import('playwright-core');
    const work = await mkdtemp(join(tmpdir(), 'perceptual-e2e-'));
    let server: Server | undefined;
    let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
    try {
      const site = join(work, 'site');
      await buildExample({ outdir: site, minify: false, model: null });
      await useBackend('wasm');
      const rgb = syntheticImage();
      const png = join(work, 'card.png');
      await sharp(Buffer.from(rgb), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).png().toFile(png);
      const modelA = tinyModelBytes(1);
      const modelB = tinyModelBytes(2);
      const uploaded = join(work, 'uploaded.safetensors');
      await writeFile(uploaded, modelB);

      const expectedA = await nodeReference(modelA, rgb);
      const expectedB = await nodeReference(modelB, rgb);
      // The comparison only means something if the two models disagree and the output is not flat.
      assert.ok(expectedA.some((v, i) => Math.abs(v - expectedB[i]!) > 8), 'the two test models give different images');
      assert.ok(Math.max(...expectedA) - Math.min(...expectedA) > 32, 'the reference output has contrast');

      server = await serve(site, { '/models/starter-style.safetensors': modelA });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      context = await chromium.launchPersistentContext(join(work, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const settled = async (): Promise<{ state: string; text: string; backend: string; simd: string }> => {
        await page.waitForFunction(() => ['ready', 'done', 'error'].includes(document.querySelector<HTMLElement>('#status')!.dataset.state!), undefined, { timeout: 30_000 });
        return page.evaluate(() => {
          const s = document.querySelector<HTMLElement>('#status')!;
          return { state: s.dataset.state!, text: s.textContent!, backend: s.dataset.backend ?? '', simd: s.dataset.simd ?? '' };
        });
      };
      const pixels = (id: string): Promise<number[]> =>
        page.evaluate((selector) => {
          const canvas = document.querySelector<HTMLCanvasElement>(selector)!;
          return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
        }, id);
      const size = (id: string): Promise<[number, number]> =>
        page.evaluate((selector) => [document.querySelector<HTMLCanvasElement>(selector)!.width, document.querySelector<HTMLCanvasElement>(selector)!.height] as [number, number], id);

      await page.goto(`${base}/index.html`);
      let status = await settled();
      assert.is(status.state, 'ready', status.text);
      assert.is(status.backend, 'wasm', 'the worker chose the WASM backend from the served binaries');
      assert.is(status.simd, 'true', 'Chromium runs the SIMD binary');

      await page.evaluate(() => (document.querySelector<HTMLElement>('#status')!.dataset.state = 'pending'));
      await page.setInputFiles('#image', png);
      status = await settled();
      assert.is(status.state, 'done', status.text);
      assert.equal(await size('#input'), [WIDTH, HEIGHT]);
      assert.equal(await size('#output'), [WIDTH, HEIGHT]);
      const input = await pixels('#input');
      assert.is(maxAbsDiff(input, rgb), 0, 'the page decoded the PNG to the exact pixels');
      const diffA = maxAbsDiff(await pixels('#output'), expectedA);
      assert.ok(diffA <= TOLERANCE, `selected model: max |browser - node| = ${diffA} > ${TOLERANCE}`);

      await page.evaluate(() => (document.querySelector<HTMLElement>('#status')!.dataset.state = 'pending'));
      await page.selectOption('#model', 'upload');
      await page.setInputFiles('#model-file', uploaded);
      status = await settled();
      assert.is(status.state, 'done', status.text);
      const diffB = maxAbsDiff(await pixels('#output'), expectedB);
      assert.ok(diffB <= TOLERANCE, `uploaded model: max |browser - node| = ${diffB} > ${TOLERANCE}`);
      // The client API with an ImageBitmap (transferred, read through OffscreenCanvas in the worker).
      const viaBitmap = await page.evaluate(async () => {
        const stylizer = (globalThis as unknown as { perceptualStylizer: { stylize(i: ImageBitmap): Promise<{ image: ImageData }> } }).perceptualStylizer;
        const bitmap = await createImageBitmap(document.querySelector<HTMLCanvasElement>('#input')!);
        const { image } = await stylizer.stylize(bitmap);
        return { width: image.width, height: image.height, data: Array.from(image.data) };
      });
      assert.equal([viaBitmap.width, viaBitmap.height], [WIDTH, HEIGHT]);
      const diffBitmap = maxAbsDiff(viaBitmap.data, expectedB);
      assert.ok(diffBitmap <= TOLERANCE, `ImageBitmap input: max |browser - node| = ${diffBitmap} > ${TOLERANCE}`);
      // Abort a run mid-way (a 1024x1024 image takes far longer than 15 ms): the call rejects at
      // once, the worker is replaced, and the next call reloads the uploaded model in a new worker.
      const cancel = await page.evaluate(async () => {
        type Stylizer = { stylize(i: ImageData, o?: { signal?: AbortSignal }): Promise<{ image: ImageData }> };
        const stylizer = (globalThis as unknown as { perceptualStylizer: Stylizer }).perceptualStylizer;
        const big = new ImageData(1024, 1024);
        big.data.fill(128);
        const controller = new AbortController();
        const running = stylizer.stylize(big, { signal: controller.signal }).then(
          () => ({ name: 'resolved', code: '' }),
          (error: { name: string; code?: string }) => ({ name: error.name, code: error.code ?? '' }),
        );
        await new Promise((resolve) => setTimeout(resolve, 15));
        const t0 = performance.now();
        controller.abort();
        const outcome = await running;
        const abortMs = performance.now() - t0;
        const input = document.querySelector<HTMLCanvasElement>('#input')!;
        const t1 = performance.now();
        const { image } = await stylizer.stylize(input.getContext('2d')!.getImageData(0, 0, input.width, input.height));
        return { ...outcome, abortMs, restartMs: performance.now() - t1, data: Array.from(image.data) };
      });
      assert.equal([cancel.name, cancel.code], ['AbortError', 'E_ABORTED']);
      assert.ok(cancel.abortMs < 50, `the aborted call rejected ${cancel.abortMs.toFixed(1)} ms after abort()`);
      const diffReloaded = maxAbsDiff(cancel.data, expectedB);
      assert.ok(diffReloaded <= TOLERANCE, `after an abort (model reloaded): max |browser - node| = ${diffReloaded} > ${TOLERANCE}`);
      assert.equal(errors, []);

      // A missing model shows an error on the page instead of hanging.
      await page.goto(`${base}/index.html?model=models/missing.safetensors`);
      status = await settled();
      assert.is(status.state, 'error');
      assert.match(status.text, /models\/missing\.safetensors failed with HTTP 404/);
      console.log(`e2e: max |browser - node| = ${diffA} (selected), ${diffB} (uploaded), ${diffBitmap} (ImageBitmap), ${diffReloaded} (after abort); abort rejected in ${cancel.abortMs.toFixed(1)} ms, next call with worker restart + model reload ${cancel.restartMs.toFixed(0)} ms; ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await context?.close();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      await rm(work, { recursive: true, force: true });
    }
  });
}

test.run();
