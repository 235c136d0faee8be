/**
 * The browser worker's WebGPU choice, end to end in headless Chromium
 * (Debian's `chromium`, through playwright-core) on the example page built
 * with esbuild: with `--enable-unsafe-webgpu`, headless Chromium offers only
 * SwiftShader, a software adapter, so by default the worker refuses it (and
 * says so in `runtime.rejected`) and runs WASM; with `?backend=webgpu` it
 * runs tfjs-backend-webgpu on that adapter and stylises the test card like
 * transform() on Node (at most one 8-bit step apart, as in e2e.test.ts).
 * Without a GPU (`--disable-gpu`, as e2e.test.ts runs) there is no adapter
 * at all, and e2e.test.ts checks that fallback.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { Runtime } from '../../src/runtime/select-backend.js';
import { parseModel, serializeModel } from '../../src/weights/model-file.js';
import { useBackend } from '../helpers/backends.js';
import { CHROMIUM, chromiumArgs, chromiumSkipMessage } from '../helpers/chromium.js';

const WIDTH = 32;
const HEIGHT = 24;
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

function card(): Uint8Array {
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37 + Math.floor(i / 96) * 11) % 256;
  return rgb;
}

interface Fixture {
  work: string;
  server: Server;
  base: string;
  context: BrowserContext;
  page: Page;
  errors: string[];
  cardPath: string;
  expected: Uint8Array;
}
let f: Fixture;

async function serveSite(root: string, extra: Map<string, Uint8Array>): Promise<Server> {
  const routes = new Map(extra);
  const walk = async (folder: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(folder, entry.name), `${prefix}${entry.name}/`);
      else routes.set(`${prefix}${entry.name}`, await readFile(join(folder, entry.name)));
    }
  };
  await walk(root, '/');
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const body = routes.get(path);
    if (body === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Opens the page with `query`, stylises the card, and returns the worker's runtime and the output pixels (RGBA). */
async function stylizeOnPage(query: string): Promise<{ runtime: Runtime; state: string; text: string; rgba: number[] }> {
  await f.page.goto(`${f.base}/index.html${query}`);
  const ready = (): Promise<unknown> =>
    f.page.waitForFunction(() => ['ready', 'done', 'error'].includes(document.querySelector<HTMLElement>('#status')!.dataset.state!), undefined, { timeout: 120_000 });
  await ready();
  await f.page.evaluate(() => (document.querySelector<HTMLElement>('#status')!.dataset.state = 'pending'));
  await f.page.setInputFiles('#image', f.cardPath);
  await ready();
  return f.page.evaluate(() => {
    const status = document.querySelector<HTMLElement>('#status')!;
    const canvas = document.querySelector<HTMLCanvasElement>('#output')!;
    const rgba = canvas.width === 0 ? [] : Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
    const runtime = (globalThis as unknown as { perceptualStylizer: { runtime: Runtime } }).perceptualStylizer.runtime;
    return { runtime, state: status.dataset.state!, text: status.textContent!, rgba };
  });
}

function maxAbsDiff(rgba: number[], rgb: Uint8Array): number {
  assert.is(rgba.length, (rgb.length / 3) * 4, 'RGBA length');
  let max = 0;
  for (let p = 0; p < rgb.length / 3; p++) for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[p * 4 + c]! - rgb[p * 3 + c]!));
  return max;
}

if (!existsSync(CHROMIUM)) {
  console.log(chromiumSkipMessage('test/browser/webgpu-worker.test.ts'));
} else {
  test.before(async () => {
    const { buildExample } = (await import('../../examples/web/build.mjs' as string)) as {
      buildExample(options: { outdir: string; minify?: boolean; models: null }): Promise<{ outdir: string }>;
    };
    const { chromium } = await import('playwright-core');
    const work = await mkdtemp(join(tmpdir(), 'perceptual-webgpu-e2e-'));
    await buildExample({ outdir: join(work, 'site'), minify: false, models: null });
    const rgb = card();
    const cardPath = join(work, 'card.png');
    await sharp(Buffer.from(rgb), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).png().toFile(cardPath);
    await useBackend('cpu');
    const arch = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
    const params = initParams(arch, 4);
    const bytes = serializeModel({ arch, params, provenance: { source: 'webgpu worker test, seed 4' } });
    tf.dispose(Object.values(params));
    const model = parseModel(bytes, 'tiny');
    const input = imageToTensor(rgb, WIDTH, HEIGHT, 3);
    const output = transform(model, input, { lean: true });
    const expected = (await tensorToRgb(output)).data;
    tf.dispose([input, output, ...Object.values(model.params)]);
    assert.ok(Math.max(...expected) - Math.min(...expected) > 32, 'the reference output has contrast');
    const index = { defaults: { style: 'tiny' }, models: [{ name: 'tiny', task: 'style', file: 'tiny.safetensors', description: 'seed 4' }] };
    const server = await serveSite(
      join(work, 'site'),
      new Map([
        ['/models/index.json', new TextEncoder().encode(JSON.stringify(index))],
        ['/models/tiny.safetensors', bytes],
      ]),
    );
    const context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs({ webgpu: true }),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    f = { work, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, context, page, errors, cardPath, expected };
  });

  test.after(async () => {
    await f?.context.close();
    await new Promise((resolve) => (f?.server ? f.server.close(resolve) : resolve(undefined)));
    if (f) await rm(f.work, { recursive: true, force: true });
  });

  test('by default the worker refuses the software adapter, says why, and stylises on wasm', async () => {
    const run = await stylizeOnPage('');
    assert.is(run.state, 'done', run.text);
    assert.is(run.runtime.backend, 'wasm');
    assert.match(run.runtime.reason, /^best that loaded for infer: wasm \(order webgpu > wasm > cpu; webgpu unavailable\)$/);
    assert.is(run.runtime.rejected[0]?.backend, 'webgpu');
    assert.match(run.runtime.rejected[0]?.reason ?? '', /^only a software \(fallback\) adapter: google swiftshader; .*only when forced/);
    const diff = maxAbsDiff(run.rgba, f.expected);
    assert.ok(diff <= 1, `wasm: max |browser - node| = ${diff}`);
  });

  test('?backend=webgpu runs the worker on the SwiftShader adapter and stylises like Node', async () => {
    const t0 = performance.now();
    const run = await stylizeOnPage('?backend=webgpu');
    assert.is(run.state, 'done', run.text);
    assert.is(run.runtime.backend, 'webgpu');
    assert.is(run.runtime.tfBackend, 'webgpu');
    assert.is(run.runtime.reason, 'forced by options.backend for infer');
    assert.equal([run.runtime.details.adapter, run.runtime.details.software], ['google swiftshader', true]);
    assert.match(run.text, /backend webgpu/);
    const diff = maxAbsDiff(run.rgba, f.expected);
    assert.ok(diff <= 1, `webgpu: max |browser - node| = ${diff}`);
    assert.equal(f.errors, []);
    console.log(`webgpu worker: max |browser - node| = ${diff}, page load + stylisation ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
}

test.run();
