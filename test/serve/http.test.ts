/**
 * The service over real HTTP on 127.0.0.1 (port 0) through the Node
 * adapter, with tiny real models in in-process pools. A bounded number of
 * requests; every server and pool is closed at the end.
 */
import { request as httpRequest } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createService, type Service } from '../../src/serve/handler.js';
import { sharpCodec } from '../../src/serve/image-codec.node.js';
import { createInProcessPool } from '../../src/serve/in-process-pool.js';
import type { InferencePool } from '../../src/serve/pool-types.js';
import { type NodeServer, serveNode } from '../../src/serve/node-adapter.js';
import { useBackend } from '../helpers/backends.js';
import { decode, encode, type ModelFiles, testImage, tinyModelFiles } from './fixtures.js';

let files: ModelFiles;
let slowPool: InferencePool;
let service: Service;
let server: NodeServer;

test.before(async () => {
  await useBackend('cpu');
  files = await tinyModelFiles();
  // Small tiles make a job last many event-loop turns, so requests overlap it.
  slowPool = await createInProcessPool({ model: files.sr, maxQueue: 0, tile: 16, overlap: 4 });
  service = createService({
    models: [
      { name: 'wave', pool: await createInProcessPool({ model: files.style }) },
      { name: 'x2', pool: await createInProcessPool({ model: files.sr }) },
      { name: 'slow', pool: slowPool },
    ],
    codec: sharpCodec,
    maxBodyBytes: 256 * 1024,
    maxPixels: 160 * 160,
    retryAfterSeconds: 2,
  });
  server = await serveNode(service, { port: 0, host: '127.0.0.1', maxBodyBytes: 256 * 1024, drainTimeoutMs: 10_000 });
});

test.after(async () => {
  await server.close();
  await files.remove();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request through node:http, so the path is sent exactly as written and bodies can be chunked. */
function raw(method: string, path: string, options: { type?: string; chunks?: Uint8Array[]; body?: Uint8Array; signal?: AbortSignal } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = options.type ? { 'Content-Type': options.type } : {};
    const req = httpRequest(`${server.url}${path}`, { method, headers, signal: options.signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body) req.end(options.body);
    else {
      // No Content-Length: node sends Transfer-Encoding: chunked.
      for (const chunk of options.chunks ?? []) req.write(chunk);
      req.end();
    }
  });
}

function json(response: RawResponse): { code: string; message: string } {
  return JSON.parse(response.body.toString('utf8'));
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

test('GET /healthz and /v1/models over HTTP', async () => {
  const health = await fetch(`${server.url}/healthz`);
  assert.is(health.status, 200);
  assert.equal(await health.json(), { status: 'ok', models: 3, inFlight: 0 });
  const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { name: string }[];
  assert.equal(models.map((m) => m.name), ['wave', 'x2', 'slow']);
});

test('stylize returns a PNG of the input size; upscale returns 2x', async () => {
  const style = await fetch(`${server.url}/v1/stylize/wave`, { method: 'POST', body: await encode(testImage(30, 22)), headers: { 'Content-Type': 'image/png' } });
  assert.is(style.status, 200);
  assert.is(style.headers.get('content-type'), 'image/png');
  assert.is(style.headers.get('x-perceptual-model'), 'wave');
  const styled = await decode(new Uint8Array(await style.arrayBuffer()));
  assert.equal([styled.width, styled.height], [30, 22]);
  const up = await raw('POST', '/v1/upscale/x2', { type: 'image/png', chunks: [await encode(testImage(14, 10))] });
  assert.is(up.status, 200);
  const upscaled = await decode(new Uint8Array(up.body));
  assert.equal([upscaled.width, upscaled.height], [28, 20]);
});

test('404 for an unknown model and for traversal attempts', async () => {
  const png = await encode(testImage(8, 8));
  for (const path of ['/v1/stylize/nope', '/v1/stylize/..%2F..%2Fetc%2Fpasswd', '/v1/stylize/../../etc/passwd', '//evil.example/v1/stylize/wave', '/v1/stylize/wave/extra']) {
    const response = await raw('POST', path, { type: 'image/png', body: png });
    assert.is(response.status, 404, path);
    assert.is(json(response).code, 'E_NOT_FOUND', path);
  }
  assert.match(json(await raw('POST', '/v1/stylize/..%2Fetc', { type: 'image/png', body: png })).message, /No model named "\.\.\/etc"/);
});

test('415 for an unsupported type; octet-stream and multipart forms (curl -F) are read', async () => {
  const png = await encode(testImage(8, 8));
  const response = await raw('POST', '/v1/stylize/wave', { type: 'text/plain', body: png });
  assert.is(response.status, 415);
  assert.match(json(response).message, /"text\/plain" is not supported.*application\/octet-stream, multipart\/form-data/);
  const octet = await raw('POST', '/v1/stylize/wave', { type: 'application/octet-stream', body: png });
  assert.is(octet.status, 200);
  const form = new FormData();
  form.append('note', 'not the image');
  form.append('image', new Blob([png], { type: 'image/png' }), 'photo.png');
  const viaForm = await fetch(`${server.url}/v1/stylize/wave`, { method: 'POST', body: form });
  assert.is(viaForm.status, 200);
  // The same pixels whichever way the image came.
  assert.equal(Buffer.from(await viaForm.arrayBuffer()), octet.body);
  const empty = new FormData();
  empty.append('note', 'no file');
  const noFile = await fetch(`${server.url}/v1/stylize/wave`, { method: 'POST', body: empty });
  assert.is(noFile.status, 400);
  assert.match(((await noFile.json()) as { message: string }).message, /no file.*field named "image"/);
});

test('CORS: every response allows any origin; a preflight gets 204 with the methods and headers', async () => {
  const preflight = await fetch(`${server.url}/v1/stylize/wave`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
  assert.is(preflight.status, 204);
  assert.is(preflight.headers.get('access-control-allow-origin'), '*');
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);
  const health = await fetch(`${server.url}/healthz`, { headers: { Origin: 'https://app.example' } });
  assert.is(health.headers.get('access-control-allow-origin'), '*');
  const error = await raw('POST', '/v1/stylize/nope', { type: 'image/png', body: new Uint8Array(4) });
  assert.is(error.headers['access-control-allow-origin'], '*');
  assert.match(String(error.headers['access-control-expose-headers']), /X-Processing-Ms/);
});

test('413 for a large upload reaches a fetch client that is still sending (no EPIPE), and the server stays up', async () => {
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${server.url}/v1/stylize/wave`, { method: 'POST', body: new Uint8Array(8 * 1024 * 1024), headers: { 'Content-Type': 'image/png' } });
    assert.is(response.status, 413);
    assert.match(((await response.json()) as { message: string }).message, /above the limit of 262144/);
  }
  assert.is((await fetch(`${server.url}/healthz`)).status, 200);
});

test('413 for a body over the limit, declared or chunked, and for too many pixels', async () => {
  const declared = await raw('POST', '/v1/stylize/wave', { type: 'image/png', body: new Uint8Array(300 * 1024) });
  assert.is(declared.status, 413);
  assert.match(json(declared).message, /Content-Length\) is 307200, above the limit of 262144/);
  const chunked = await raw('POST', '/v1/stylize/wave', { type: 'image/png', chunks: Array.from({ length: 6 }, () => new Uint8Array(50 * 1024)) });
  assert.is(chunked.status, 413);
  assert.match(json(chunked).message, /request body is over 262144 bytes/);
  const pixels = await raw('POST', '/v1/stylize/wave', { type: 'image/png', body: await encode({ data: new Uint8Array(200 * 200 * 3), width: 200, height: 200 }) });
  assert.is(pixels.status, 413);
  assert.match(json(pixels).message, /\(200x200\)'s pixel count is 40000, above the limit of 25600/);
});

test('503 with Retry-After while the queue is full; the running job still succeeds', async () => {
  const png = await encode(testImage(64, 64));
  const first = raw('POST', '/v1/upscale/slow', { type: 'image/png', body: png });
  await waitFor(() => slowPool.stats.running === 1, 'the first job to start');
  const refused = await Promise.all([1, 2].map(() => raw('POST', '/v1/upscale/slow', { type: 'image/png', body: png })));
  for (const response of refused) {
    assert.is(response.status, 503);
    assert.is(response.headers['retry-after'], '2');
    assert.is(json(response).code, 'E_QUEUE_FULL');
  }
  const done = await first;
  assert.is(done.status, 200);
  assert.equal((await decode(new Uint8Array(done.body))).width, 128);
});

test('a client that disconnects cancels its job', async () => {
  const png = await encode(testImage(64, 64));
  const failed = slowPool.stats.failed;
  const controller = new AbortController();
  const pending = raw('POST', '/v1/upscale/slow', { type: 'image/png', body: png, signal: controller.signal });
  await waitFor(() => slowPool.stats.running === 1, 'the job to start');
  controller.abort();
  await pending.catch(() => undefined);
  await waitFor(() => slowPool.stats.running === 0, 'the job to stop');
  assert.is(slowPool.stats.failed, failed + 1);
  await waitFor(() => server.inFlight === 0, 'the adapter to finish the request');
});

test('graceful shutdown lets an in-flight request finish, then refuses connections and closes pools', async () => {
  const png = await encode(testImage(64, 64));
  const inFlight = raw('POST', '/v1/upscale/slow', { type: 'image/png', body: png });
  await waitFor(() => slowPool.stats.running === 1, 'the job to start');
  const closed = server.close();
  const done = await inFlight;
  assert.is(done.status, 200);
  assert.is(done.headers.connection, 'close');
  assert.is((await decode(new Uint8Array(done.body))).height, 128);
  await closed;
  let refused: unknown;
  await raw('GET', '/healthz').catch((error: unknown) => (refused = error));
  assert.is((refused as { code?: string } | undefined)?.code, 'ECONNREFUSED');
  assert.ok(service.draining);
  let poolError: unknown;
  await slowPool.run(testImage(8, 8)).catch((error: unknown) => (poolError = error));
  assert.match((poolError as Error).message, /pool is closed/);
});

test.run();
