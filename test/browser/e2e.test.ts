/**
 * End-to-end: builds examples/web with esbuild (no bundled models), serves it
 * from node:http on 127.0.0.1 with a synthetic models/index.json (two tiny
 * style models, a tiny x4 SR model) and a synthetic ml5 checkpoint, and
 * drives it in headless Chromium (Debian's `chromium`, through
 * playwright-core): the gallery, an uploaded model, an ml5 URL, strength and
 * preserve colours, download, cancel, SR mode, drop and paste. Outputs are
 * compared with transform() on the Node WASM backend.
 *
 * Tolerance: max |browser - node| <= 1 (one 8-bit step). Both sides run the
 * same tfjs-backend-wasm SIMD binary on the same float32 inputs, so they
 * normally agree exactly; a last-bit float difference (a different V8 or
 * XNNPACK code path) can only flip a value whose x255 lands next to a .5
 * rounding boundary, i.e. by one step. Any real error (wrong channel order,
 * alpha, colour conversion, padding, statistics) moves many pixels by far more.
 *
 * PERCEPTUAL_E2E_SCREENSHOT=/tmp/page.png saves a screenshot of the page after
 * the gallery test.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { blend } from '../../src/infer/blend.js';
import { preserveColor } from '../../src/infer/preserve-color.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { TransformArch, TransformModel } from '../../src/types.js';
import { fetchMl5Checkpoint } from '../../src/weights/fetch-ml5-checkpoint.js';
import { parseModel, serializeModel } from '../../src/weights/model-file.js';
import { useBackend } from '../helpers/backends.js';
import { CHROMIUM, chromiumArgs, chromiumSkipMessage } from '../helpers/chromium.js';
import { syntheticMl5Checkpoint, underPrefix } from '../helpers/ml5-checkpoint-server.js';

const WIDTH = 64;
const HEIGHT = 48;
const TOLERANCE = 1;
const RGB = syntheticImage(false);

/** A deterministic RGB test card: gradients, a checker patch and a diagonal (mirrored: another card). */
function syntheticImage(mirrored: boolean): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x0 = 0; x0 < WIDTH; x0++) {
      const x = mirrored ? WIDTH - 1 - x0 : x0;
      const i = (y * WIDTH + x0) * 3;
      const checker = ((x >> 3) + (y >> 3)) % 2 === 0 && x < 32 && y < 24;
      data[i] = checker ? 250 : Math.round((x / (WIDTH - 1)) * 255);
      data[i + 1] = checker ? 20 : Math.round((y / (HEIGHT - 1)) * 255);
      data[i + 2] = Math.abs(x - y) < 3 ? 255 : (x * 7 + y * 13) % 256;
    }
  }
  return data;
}

function modelBytes(arch: TransformArch, seed: number): Uint8Array {
  const params = initParams(arch, seed);
  try {
    return serializeModel({ arch, params, provenance: { source: `e2e test, seed ${seed}` } });
  } finally {
    tf.dispose(Object.values(params));
  }
}

/** The Node reference: transform() on the WASM backend, rounded as tensorToRgb; disposes the model. */
async function nodeReference(model: TransformModel, rgb: Uint8Array): Promise<Uint8Array> {
  const input = imageToTensor(rgb, WIDTH, HEIGHT, 3);
  const output = transform(model, input, { lean: true });
  try {
    return (await tensorToRgb(output)).data;
  } finally {
    tf.dispose([input, output, ...Object.values(model.params)]);
  }
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

function serve(root: string, overrides: Map<string, Uint8Array>): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const body = overrides.get(path) ?? (await readFile(join(root, normalize(path === '/' ? '/index.html' : path))).catch(() => undefined));
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** max |a - b| over RGB; `a` is RGBA from a canvas, `b` RGB, both `pixels` pixels. */
function maxAbsDiff(rgba: ArrayLike<number>, rgb: ArrayLike<number>, pixels = WIDTH * HEIGHT): number {
  assert.is(rgba.length, pixels * 4, 'RGBA length');
  let max = 0;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[p * 4 + c]! - rgb[p * 3 + c]!));
  }
  return max;
}

interface Fixture {
  work: string;
  base: string;
  server: Server;
  context: BrowserContext;
  page: Page;
  errors: string[];
  card: string;
  big: string;
  uploaded: string;
  expected: { a: Uint8Array; b: Uint8Array; sr: Uint8Array; ml5: Uint8Array };
}
let f: Fixture;

/** Waits until #status settles (anything but starting, loading, running, pending) and returns it. */
async function settled(): Promise<{ state: string; text: string; backend: string; simd: string }> {
  await f.page.waitForFunction(() => ['ready', 'done', 'error', 'cancelled'].includes(document.querySelector<HTMLElement>('#status')!.dataset.state!), undefined, { timeout: 60_000 });
  return f.page.evaluate(() => {
    const s = document.querySelector<HTMLElement>('#status')!;
    return { state: s.dataset.state!, text: s.textContent!, backend: s.dataset.backend ?? '', simd: s.dataset.simd ?? '' };
  });
}

/** Marks #status pending, runs `action`, and waits for the page to settle again. */
async function after(action: () => Promise<unknown>): Promise<{ state: string; text: string }> {
  await f.page.evaluate(() => (document.querySelector<HTMLElement>('#status')!.dataset.state = 'pending'));
  await action();
  return settled();
}

const pixels = (selector: string): Promise<number[]> =>
  f.page.evaluate((s) => {
    const canvas = document.querySelector<HTMLCanvasElement>(s)!;
    return canvas.width === 0 ? [] : Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
  }, selector);
const size = (selector: string): Promise<[number, number]> =>
  f.page.evaluate((s) => [document.querySelector<HTMLCanvasElement>(s)!.width, document.querySelector<HTMLCanvasElement>(s)!.height] as [number, number], selector);
const pressed = (): Promise<string[]> => f.page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.card[aria-pressed="true"]'), (c) => c.dataset.model!));

/** A fresh page with the default style loaded and, unless `image` is false, the test card stylised. */
async function open(image = true, query = ''): Promise<void> {
  await f.page.goto(`${f.base}/index.html${query}`);
  const status = await settled();
  assert.is(status.state, 'ready', status.text);
  if (!image) return;
  const done = await after(() => f.page.setInputFiles('#image', f.card));
  assert.is(done.state, 'done', done.text);
}

if (!existsSync(CHROMIUM)) {
  console.log(chromiumSkipMessage('test/browser/e2e.test.ts'));
} else {
  test.before(async () => {
    const { buildExample } = (await import('../../examples/web/build.mjs' as string)) as {
      buildExample(options: { outdir: string; minify?: boolean; models: null }): Promise<{ outdir: string }>;
    };
    const { chromium } = await import('playwright-core');
    const work = await mkdtemp(join(tmpdir(), 'perceptual-e2e-'));
    const site = join(work, 'site');
    await buildExample({ outdir: site, minify: false, models: null });
    await useBackend('wasm');
    const card = join(work, 'card.png');
    await sharp(Buffer.from(RGB), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).png().toFile(card);
    // Big enough to be tiled (over 512x512) and to take long enough to cancel.
    const big = join(work, 'big.png');
    await sharp({ create: { width: 2048, height: 1536, channels: 3, background: { r: 90, g: 140, b: 200 } } }).png().toFile(big);

    const style = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
    const a = modelBytes(style, 1);
    const b = modelBytes(style, 2);
    const sr = modelBytes(resolveSrArch({ scale: 4, filters: 4, residualBlocks: 1 }), 3);
    const uploaded = join(work, 'uploaded.safetensors');
    await writeFile(uploaded, a);
    const ml5 = syntheticMl5Checkpoint(4);
    const index = {
      defaults: { style: 'tiny-a', sr: 'tiny-sr' },
      models: [
        { name: 'tiny-a', task: 'style', file: 'tiny-a.safetensors', description: 'seed 1 (models/tiny-a.md)' },
        { name: 'tiny-b', task: 'style', file: 'tiny-b.safetensors', description: 'seed 2' },
        { name: 'tiny-sr', task: 'sr', file: 'tiny-sr.safetensors', description: 'x4, seed 3' },
      ],
    };
    const routes = new Map<string, Uint8Array>([
      ['/models/index.json', new TextEncoder().encode(JSON.stringify(index))],
      ['/models/tiny-a.safetensors', a],
      ['/models/tiny-b.safetensors', b],
      ['/models/tiny-sr.safetensors', sr],
      ...underPrefix(ml5.files, '/ckpt/'),
    ]);
    const server = await serve(site, routes);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const expected = {
      a: await nodeReference(parseModel(a, 'a'), RGB),
      b: await nodeReference(parseModel(b, 'b'), RGB),
      sr: await nodeReference(parseModel(sr, 'sr'), RGB),
      ml5: await nodeReference(await fetchMl5Checkpoint(`${base}/ckpt/`), RGB),
    };
    // The comparisons only mean something if the models disagree and the output is not flat.
    assert.ok(expected.a.some((v, i) => Math.abs(v - expected.b[i]!) > 8), 'the two test models give different images');
    assert.ok(Math.max(...expected.a) - Math.min(...expected.a) > 32, 'the reference output has contrast');

    const context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1200, height: 900 },
      args: chromiumArgs({ webgpu: false }),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    f = { work, base, server, context, page, errors, card, big, uploaded, expected };
  });

  test.after(async () => {
    await f?.context.close();
    await new Promise((resolve) => (f?.server ? f.server.close(resolve) : resolve(undefined)));
    if (f) await rm(f.work, { recursive: true, force: true });
  });

  test('gallery: the default style first, another style, an uploaded model and an ml5 URL each stylise like transform() on Node WASM', async () => {
    await open(false);
    const status = await settled();
    assert.is(status.backend, 'wasm', 'the worker chose the WASM backend from the served binaries');
    // --disable-gpu: navigator.gpu exists but offers no adapter, so webgpu is refused first (webgpu-worker.test.ts: with one).
    const rejected = await f.page.evaluate(() => (globalThis as unknown as { perceptualStylizer: { runtime: { rejected: Array<{ backend: string; reason: string }> } } }).perceptualStylizer.runtime.rejected);
    assert.equal(rejected.map((r) => r.backend), ['webgpu']);
    assert.match(rejected[0]!.reason, /found no adapter/);
    assert.is(status.simd, 'true', 'Chromium runs the SIMD binary');
    assert.equal(await f.page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.card:not([hidden])'), (c) => c.dataset.model)), ['tiny-a', 'tiny-b']);
    assert.equal(await pressed(), ['tiny-a'], 'the registry default is selected first');
    assert.match(await f.page.textContent('#sr-name') ?? '', /tiny-sr/);

    let done = await after(() => f.page.setInputFiles('#image', f.card));
    assert.is(done.state, 'done', done.text);
    assert.equal(await size('#input'), [WIDTH, HEIGHT]);
    assert.is(maxAbsDiff(await pixels('#input'), RGB), 0, 'the page decoded the PNG to the exact pixels');
    const diffA = maxAbsDiff(await pixels('#output'), f.expected.a);
    assert.ok(diffA <= TOLERANCE, `default style: max |browser - node| = ${diffA} > ${TOLERANCE}`);

    done = await after(() => f.page.click('.card[data-model="tiny-b"]'));
    assert.is(done.state, 'done', done.text);
    assert.equal(await pressed(), ['tiny-b']);
    const diffB = maxAbsDiff(await pixels('#output'), f.expected.b);
    assert.ok(diffB <= TOLERANCE, `gallery style: max |browser - node| = ${diffB} > ${TOLERANCE}`);
    assert.equal(await f.page.evaluate(() => Array.from(document.querySelectorAll('.card.has-thumb'), (c) => (c as HTMLElement).dataset.model)), ['tiny-a', 'tiny-b'], 'each style run leaves its thumbnail');

    done = await after(() => f.page.setInputFiles('#model-file', f.uploaded));
    assert.is(done.state, 'done', done.text);
    assert.equal(await pressed(), [''], 'the "your model" card is selected');
    const diffUpload = maxAbsDiff(await pixels('#output'), f.expected.a);
    assert.ok(diffUpload <= TOLERANCE, `uploaded model: max |browser - node| = ${diffUpload} > ${TOLERANCE}`);

    done = await after(async () => {
      await f.page.fill('#ml5-url', `${f.base}/ckpt`);
      await f.page.click('#ml5-form button');
    });
    assert.is(done.state, 'done', done.text);
    assert.match(done.text, /with ml5 http:\/\/127\.0\.0\.1:\d+\/ckpt\//);
    const diffMl5 = maxAbsDiff(await pixels('#output'), f.expected.ml5);
    assert.ok(diffMl5 <= TOLERANCE, `ml5 URL: max |browser - node| = ${diffMl5} > ${TOLERANCE}`);

    done = await after(() => f.page.click('.card[data-model="tiny-b"]'));
    assert.is(done.state, 'done', done.text);
    done = await after(() => f.page.click('.card.custom'));
    assert.is(done.state, 'done', done.text);
    assert.ok(maxAbsDiff(await pixels('#output'), f.expected.ml5) <= TOLERANCE, 'the "your model" card goes back to the ml5 model');
    const screenshot = process.env.PERCEPTUAL_E2E_SCREENSHOT;
    if (screenshot) await f.page.screenshot({ path: screenshot, fullPage: true });
    assert.equal(f.errors, []);
    console.log(`e2e gallery: max |browser - node| = ${diffA} (default), ${diffB} (gallery), ${diffUpload} (uploaded), ${diffMl5} (ml5 URL)`);
  });

  test('strength 0 gives the input back, 0.5 blends, preserve colours keeps the input colours', async () => {
    await open();
    const setStrength = (value: string): Promise<void> =>
      f.page.evaluate((v) => {
        const slider = document.querySelector<HTMLInputElement>('#strength')!;
        slider.value = v;
        slider.dispatchEvent(new Event('input', { bubbles: true }));
      }, value);
    await setStrength('0');
    assert.is(maxAbsDiff(await pixels('#output'), RGB), 0, 'strength 0: the input pixels exactly');
    assert.is(await f.page.textContent('#strength-value'), '0%');
    await setStrength('0.5');
    const half = blend({ data: RGB, width: WIDTH, height: HEIGHT }, { data: f.expected.a, width: WIDTH, height: HEIGHT }, 0.5).data;
    assert.ok(maxAbsDiff(await pixels('#output'), half) <= TOLERANCE, 'strength 0.5 blends as src/infer/blend.ts');
    await setStrength('1');
    await f.page.check('#preserve');
    const kept = preserveColor({ data: RGB, width: WIDTH, height: HEIGHT }, { data: f.expected.a, width: WIDTH, height: HEIGHT }).data;
    assert.ok(maxAbsDiff(await pixels('#output'), kept) <= TOLERANCE, 'preserve colours as src/infer/preserve-color.ts');
    await f.page.uncheck('#preserve');
    assert.ok(maxAbsDiff(await pixels('#output'), f.expected.a) <= TOLERANCE, 'back to the plain result without re-running');
  });

  test('Download saves a PNG of the output size with the shown pixels', async () => {
    await open();
    const [download] = await Promise.all([f.page.waitForEvent('download'), f.page.click('#download')]);
    assert.is(download.suggestedFilename(), 'card-tiny-a.png');
    const file = join(f.work, 'downloaded.png');
    await download.saveAs(file);
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    assert.equal([info.format, info.width, info.height], ['raw', WIDTH, HEIGHT]);
    assert.is((await sharp(file).metadata()).format, 'png');
    const shown = await pixels('#output');
    const rgb = info.channels === 4 ? Uint8Array.from({ length: WIDTH * HEIGHT * 3 }, (_, i) => data[Math.floor(i / 3) * 4 + (i % 3)]!) : new Uint8Array(data);
    assert.is(maxAbsDiff(shown, rgb), 0, 'the PNG holds the result as shown');
  });

  test('Cancel during a tiled run: progress counts tiles, the status says cancelled, the next run works', async () => {
    await open(false);
    await f.page.evaluate(() => (document.querySelector<HTMLElement>('#status')!.dataset.state = 'pending'));
    await f.page.setInputFiles('#image', f.big);
    const bar = await f.page.waitForFunction(
      () => {
        const p = document.querySelector<HTMLProgressElement>('#progress')!;
        return !p.hidden && p.hasAttribute('value') && p.value > 0 ? { value: p.value, max: p.max } : null;
      },
      undefined,
      { timeout: 60_000, polling: 5 },
    );
    const seen = (await bar.jsonValue())!;
    assert.ok(seen.max > 1 && seen.value < seen.max, `the bar counts tiles: ${seen.value} of ${seen.max}`);
    await f.page.click('#cancel');
    const status = await settled();
    assert.is(status.state, 'cancelled', status.text);
    assert.match(status.text, /Cancelled/);
    assert.equal(
      await f.page.evaluate(() => [document.querySelector<HTMLButtonElement>('#cancel')!.disabled, document.querySelector<HTMLElement>('#progress')!.hidden, document.querySelector<HTMLButtonElement>('#download')!.disabled]),
      [true, true, true],
    );
    assert.equal(await size('#output'), [0, 0], 'no partial result');
    // The cancelled run's worker was terminated; the next run starts a new one and reloads the model.
    const done = await after(() => f.page.setInputFiles('#image', f.card));
    assert.is(done.state, 'done', done.text);
    assert.ok(maxAbsDiff(await pixels('#output'), f.expected.a) <= TOLERANCE);
  });

  test('SR mode: the default SR model gives 4x the size (like Node), strength is off, the download is 4x', async () => {
    await open();
    const done = await after(() => f.page.check('#mode-sr'));
    assert.is(done.state, 'done', done.text);
    assert.equal(await size('#output'), [4 * WIDTH, 4 * HEIGHT]);
    const diff = maxAbsDiff(await pixels('#output'), f.expected.sr, 16 * WIDTH * HEIGHT);
    assert.ok(diff <= TOLERANCE, `SR: max |browser - node| = ${diff} > ${TOLERANCE}`);
    assert.equal(await pressed(), [], 'no style is selected in SR mode');
    assert.ok(await f.page.isDisabled('#strength'));
    const [download] = await Promise.all([f.page.waitForEvent('download'), f.page.click('#download')]);
    const file = join(f.work, 'sr.png');
    await download.saveAs(file);
    const meta = await sharp(file).metadata();
    assert.equal([meta.format, meta.width, meta.height], ['png', 4 * WIDTH, 4 * HEIGHT]);
    // Back to style mode: the style selected before.
    const back = await after(() => f.page.check('input[name=mode][value=style]'));
    assert.is(back.state, 'done', back.text);
    assert.equal(await pressed(), ['tiny-a']);
    assert.equal(await size('#output'), [WIDTH, HEIGHT]);
  });

  test('an image dropped on the page or pasted is taken like a chosen file', async () => {
    await open(false);
    const mirrored = syntheticImage(true);
    const png = async (rgb: Uint8Array): Promise<number[]> => [...(await sharp(Buffer.from(rgb), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).png().toBuffer())];
    const deliver = (kind: 'drop' | 'paste', bytes: number[]): Promise<void> =>
      f.page.evaluate(
        ([how, data]) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(data)], `${how}.png`, { type: 'image/png' }));
          const event = how === 'drop' ? new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }) : new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true });
          document.body.dispatchEvent(event);
        },
        [kind, bytes] as const,
      );
    let done = await after(async () => deliver('drop', await png(RGB)));
    assert.is(done.state, 'done', done.text);
    assert.is(maxAbsDiff(await pixels('#input'), RGB), 0, 'dropped');
    done = await after(async () => deliver('paste', await png(mirrored)));
    assert.is(done.state, 'done', done.text);
    assert.is(maxAbsDiff(await pixels('#input'), mirrored), 0, 'pasted');
  });

  test('the client API: an ImageBitmap input, and an abort mid-run rejects at once and the next call reloads the model', async () => {
    await open();
    const viaBitmap = await f.page.evaluate(async () => {
      const stylizer = (globalThis as unknown as { perceptualStylizer: { stylize(i: ImageBitmap): Promise<{ image: ImageData }> } }).perceptualStylizer;
      const bitmap = await createImageBitmap(document.querySelector<HTMLCanvasElement>('#input')!);
      const { image } = await stylizer.stylize(bitmap);
      return { width: image.width, height: image.height, data: Array.from(image.data) };
    });
    assert.equal([viaBitmap.width, viaBitmap.height], [WIDTH, HEIGHT]);
    const diffBitmap = maxAbsDiff(viaBitmap.data, f.expected.a);
    assert.ok(diffBitmap <= TOLERANCE, `ImageBitmap input: max |browser - node| = ${diffBitmap} > ${TOLERANCE}`);
    // A 1024x1024 image takes far longer than 15 ms.
    const cancel = await f.page.evaluate(async () => {
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
    const diffReloaded = maxAbsDiff(cancel.data, f.expected.a);
    assert.ok(diffReloaded <= TOLERANCE, `after an abort (model reloaded): max |browser - node| = ${diffReloaded} > ${TOLERANCE}`);
    console.log(`e2e client: abort rejected in ${cancel.abortMs.toFixed(1)} ms, next call with worker restart + model reload ${cancel.restartMs.toFixed(0)} ms`);
  });

  test('a missing model shows an error on the page instead of hanging', async () => {
    await f.page.goto(`${f.base}/index.html?model=models/missing.safetensors`);
    const status = await settled();
    assert.is(status.state, 'error');
    assert.match(status.text, /Cannot fetch the model \S*models\/missing\.safetensors: HTTP 404; check the URL/);
    assert.equal(f.errors, []);
  });
}

test.run();
