/**
 * src/fetch-bytes.ts against a local node:http server and the real global
 * fetch: the bytes, and how each failure is worded (status, refused
 * connection, abort).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { downloadBytes, fetchBytes } from '../src/fetch-bytes.js';
import { serveFiles } from './helpers/ml5-checkpoint-server.js';
import { rejection } from './helpers/option-errors.js';

const body = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
let server: Awaited<ReturnType<typeof serveFiles>>;

test.before(async () => {
  server = await serveFiles(new Map([['/model.safetensors', body]]));
});
test.after(() => server.close());

/** A local port nothing listens on (one just closed). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

test('fetchBytes returns the body', async () => {
  assert.equal(Array.from(await fetchBytes(`${server.base}/model.safetensors`)), Array.from(body));
  assert.equal(Array.from(await downloadBytes(new URL(`${server.base}/model.safetensors`), 'model')), Array.from(body));
});

test('an error status: the status and what to check, the hint replaceable', async () => {
  let error = await rejection(() => fetchBytes(`${server.base}/none`));
  assert.is(error.message, 'HTTP 404; check the URL');
  error = await rejection(() => fetchBytes(`${server.base}/none`, { statusHint: 'check that the URL is the checkpoint folder' }));
  assert.is(error.message, 'HTTP 404; check that the URL is the checkpoint folder');
  error = await rejection(() => downloadBytes(`${server.base}/none`, 'model'));
  assert.is(error.code, 'E_DOWNLOAD');
  assert.is(error.message, `Cannot fetch the model ${server.base}/none: HTTP 404; check the URL.`);
});

test('a refused connection names the reason Node keeps in the cause, and the CORS look-alike', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/x.png`;
  const error = await rejection(() => downloadBytes(url, 'image'));
  assert.is(error.code, 'E_DOWNLOAD');
  assert.ok(error.message.startsWith(`Cannot fetch the image ${url}: fetch failed: `), error.message);
  assert.match(error.message, /ECONNREFUSED.* \(a network error, or the server does not allow this origin to read it\); check the URL and the network\.$/);
  assert.instance((error.cause as Error).cause, Error);
});

test('an abort rejects with AbortError E_ABORTED, also through downloadBytes', async () => {
  const controller = new AbortController();
  controller.abort(new Error('user left'));
  const stub = (_: string, init?: { signal?: AbortSignal }): Promise<Response> => (init?.signal?.aborted ? Promise.reject(new Error('aborted')) : Promise.resolve(new Response(body)));
  for (const run of [() => fetchBytes('https://cdn.test/m', { fetch: stub, signal: controller.signal }), () => downloadBytes('https://cdn.test/m', 'model', { fetch: stub, signal: controller.signal })]) {
    const error = await rejection(run);
    assert.is(error.name, 'AbortError');
    assert.is(error.code, 'E_ABORTED');
    assert.is((error.cause as Error).message, 'user left');
  }
});

test.run();
