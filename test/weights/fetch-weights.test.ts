import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedVggWeightsPath, defaultCacheDir, fetchVggWeights, VGG_DOWNLOADS, type FetchProgress, type WeightsDownload } from '../../src/weights/fetch-weights.js';

const dir = mkdtempSync(join(tmpdir(), 'perceptual-fetch-'));
const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251));
const md5 = createHash('md5').update(body).digest('hex');
const sha256 = createHash('sha256').update(body).digest('hex');
const requests: { range?: string }[] = [];
let honourRange = true;

const server: Server = createServer((request: IncomingMessage, response) => {
  requests.push({ range: request.headers.range });
  if (request.url === '/missing') {
    response.writeHead(404).end();
    return;
  }
  const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  if (match && honourRange) {
    const start = Number(match[1]);
    response.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start });
    response.end(body.subarray(start));
    return;
  }
  response.writeHead(200, { 'content-length': body.length });
  response.end(body);
});
let base = '';
test.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
test.before.each(() => {
  requests.length = 0;
  honourRange = true;
});

function download(overrides: Partial<WeightsDownload> = {}): WeightsDownload {
  return { fileName: 'weights.bin', url: `${base}/weights.bin`, size: body.length, md5, sha256, ...overrides };
}

test('cache dir precedence and the Keras table', () => {
  assert.is(defaultCacheDir({ PERCEPTUAL_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b' }), '/a');
  assert.is(defaultCacheDir({ XDG_CACHE_HOME: '/b' }), '/b/perceptual');
  assert.match(defaultCacheDir({}), /\.cache\/perceptual$/);
  assert.is(cachedVggWeightsPath('vgg19', '/c'), '/c/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5');
  assert.is(VGG_DOWNLOADS.vgg16.size, 58_889_256);
  assert.is(VGG_DOWNLOADS.vgg19.md5, '253f8cb515780f3b799900260a226db6');
});

test('full download: progress, checksum, atomic rename; a second call uses the cache', async () => {
  const cacheDir = join(dir, 'full');
  const progress: FetchProgress[] = [];
  const path = await fetchVggWeights('vgg16', { cacheDir, download: download(), onProgress: (p) => progress.push(p) });
  assert.is(path, join(cacheDir, 'weights.bin'));
  assert.ok(readFileSync(path).equals(body));
  assert.not.ok(existsSync(`${path}.partial`));
  assert.is(progress[0]!.received, 0);
  assert.equal(progress[progress.length - 1], { received: body.length, total: body.length, resumed: false });
  assert.is(requests.length, 1);
  await fetchVggWeights('vgg16', { cacheDir, download: download() });
  assert.is(requests.length, 1, 'no second request');
});

test('resumes a .partial file with an HTTP Range request', async () => {
  const cacheDir = join(dir, 'resume');
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'weights.bin.partial'), body.subarray(0, 123_456));
  requests.length = 0;
  const progress: FetchProgress[] = [];
  const path = await fetchVggWeights('vgg16', { cacheDir, download: download(), onProgress: (p) => progress.push(p) });
  assert.equal(requests, [{ range: 'bytes=123456-' }]);
  assert.ok(progress[0]!.resumed);
  assert.is(progress[0]!.received, 123_456);
  assert.ok(readFileSync(path).equals(body));
});

test('a server that ignores Range restarts from zero', async () => {
  const cacheDir = join(dir, 'norange');
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'weights.bin.partial'), Buffer.alloc(5000, 9)); // garbage that must not survive
  honourRange = false;
  const path = await fetchVggWeights('vgg16', { cacheDir, download: download() });
  assert.ok(readFileSync(path).equals(body));
});

test('checksum mismatch: E_CHECKSUM, nothing at the final path', async () => {
  const cacheDir = join(dir, 'bad');
  const bad = 'f'.repeat(64);
  try {
    await fetchVggWeights('vgg16', { cacheDir, download: download({ md5: undefined, sha256: bad }) });
    assert.unreachable();
  } catch (error) {
    const e = error as Error & { code?: string };
    assert.is(e.code, 'E_CHECKSUM', e.message);
    assert.match(e.message, new RegExp(`sha256 checksum mismatch \\(expected ${bad}, got ${sha256}\\); the download was deleted`));
  }
  assert.not.ok(existsSync(join(cacheDir, 'weights.bin')));
  assert.not.ok(existsSync(join(cacheDir, 'weights.bin.partial')));
});

test('unreachable server fails fast with how to place the file by hand', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const cacheDir = join(dir, 'offline');
  const started = Date.now();
  try {
    await fetchVggWeights('vgg16', { cacheDir, download: download({ url: `http://127.0.0.1:${port}/vgg16.h5` }) });
    assert.unreachable();
  } catch (error) {
    const e = error as Error & { code?: string };
    assert.is(e.code, 'E_DOWNLOAD', e.message);
    assert.match(e.message, new RegExp(`Could not download http://127.0.0.1:${port}/vgg16.h5: ECONNREFUSED\\. Download http://127.0.0.1:${port}/vgg16.h5 on a machine with network access and place it at ${cacheDir}/weights.bin`));
  }
  assert.ok(Date.now() - started < 5000);
});

test('a server that never answers times out after connectTimeoutMs', async () => {
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/w`;
  try {
    await fetchVggWeights('vgg16', { cacheDir: join(dir, 'silent'), download: download({ url }), connectTimeoutMs: 200 });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /no response within 0.2 s/);
  } finally {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('HTTP errors and aborts', async () => {
  try {
    await fetchVggWeights('vgg16', { cacheDir: join(dir, 'abort'), download: download(), signal: AbortSignal.abort() });
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).name, 'AbortError');
  }
  try {
    await fetchVggWeights('vgg16', { cacheDir: join(dir, '404'), download: download({ url: `${base}/missing` }) });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /Could not download http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404 Not Found\. Download/);
  }
});

test.run();
