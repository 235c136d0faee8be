/**
 * The Fetch handler in-process (no sockets) with real tiny models behind
 * the in-process pool, and the in-process pool on its own. Outputs are
 * checked against the network run directly on the same pixels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { abortError, perceptualError } from '../../src/errors.js';
import { createService, type Service } from '../../src/serve/handler.js';
import { describeHttpError, HTTP_STATUS_BY_CODE } from '../../src/serve/http-errors.js';
import { sharpCodec } from '../../src/serve/image-codec.node.js';
import { createInProcessPool } from '../../src/serve/in-process-pool.js';
import type { InferencePool } from '../../src/serve/pool-types.js';
import { useBackend } from '../helpers/backends.js';
import { decode, encode, failingPool, maxDiff, rejects, type ModelFiles, referenceOutput, testImage, tinyModelFiles } from './fixtures.js';

let files: ModelFiles;
let stylePool: InferencePool;
let srPool: InferencePool;
let service: Service;

test.before(async () => {
  await useBackend('cpu');
  files = await tinyModelFiles();
  stylePool = await createInProcessPool({ model: files.style });
  srPool = await createInProcessPool({ model: files.sr });
  service = createService({
    models: [
      { name: 'wave', pool: stylePool, arch: { task: 'style' } },
      { name: 'x2', pool: srPool },
      { name: 'busy', pool: failingPool(perceptualError('E_QUEUE_FULL', 'The inference queue is full. Retry later.')) },
      { name: 'broken', pool: failingPool(new Error('boom')) },
      { name: 'slow', pool: failingPool(abortError(new Error('the job timed out after 5 ms'))) },
    ],
    codec: sharpCodec,
    maxBodyBytes: 64 * 1024,
    maxPixels: 64 * 64,
    retryAfterSeconds: 3,
  });
});

test.after(async () => {
  await service.close();
  await files.remove();
});

const BASE = 'http://service.test';

function post(path: string, body: BodyInit, type = 'image/png', init: RequestInit = {}): Promise<Response> {
  return service.fetch(new Request(BASE + path, { method: 'POST', body, headers: { 'Content-Type': type }, ...init, duplex: 'half' } as RequestInit));
}

async function expectError(response: Response, status: number, code: string, message: RegExp): Promise<void> {
  assert.is(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as { code: string; message: string };
  assert.is(body.code, code);
  assert.match(body.message, message);
}

test('GET /healthz and /v1/models describe the registered models', async () => {
  const health = await service.fetch(new Request(`${BASE}/healthz`));
  assert.is(health.status, 200);
  assert.equal(await health.json(), { status: 'ok', models: 5, inFlight: 0 });
  const models = (await (await service.fetch(new Request(`${BASE}/v1/models`))).json()) as { name: string; task: string; scale: number; arch: unknown }[];
  assert.equal(models.slice(0, 2), [
    { name: 'wave', task: 'style', scale: 1, arch: { task: 'style' } },
    { name: 'x2', task: 'sr', scale: 2, arch: null },
  ]);
});

test('POST /v1/stylize/NAME returns the network output as PNG, same size', async () => {
  const image = testImage(24, 20);
  const response = await post('/v1/stylize/wave', await encode(image));
  assert.is(response.status, 200);
  assert.is(response.headers.get('content-type'), 'image/png');
  assert.is(response.headers.get('x-perceptual-model'), 'wave');
  assert.match(response.headers.get('x-processing-ms') ?? '', /^\d+$/);
  const out = await decode(new Uint8Array(await response.arrayBuffer()));
  assert.is(out.width, 24);
  assert.is(out.height, 20);
  // Lossless PNG both ways, so the bytes equal the network's output on the same pixels.
  assert.ok(maxDiff(out.data, (await referenceOutput(files.style, image)).data) <= 1);
});

test('POST /v1/upscale/NAME returns 2x the size, equal to the network output', async () => {
  const image = testImage(16, 12);
  const response = await post('/v1/upscale/x2', await encode(image));
  assert.is(response.status, 200);
  const out = await decode(new Uint8Array(await response.arrayBuffer()));
  assert.equal([out.width, out.height], [32, 24]);
  assert.ok(maxDiff(out.data, (await referenceOutput(files.sr, image)).data) <= 1);
});

test('strength blends the stylised image with the input; format=jpeg answers JPEG', async () => {
  const image = testImage(16, 16);
  const png = await encode(image);
  const zero = await decode(new Uint8Array(await (await post('/v1/stylize/wave?strength=0', png)).arrayBuffer()));
  assert.equal(zero.data, image.data, 'strength 0 gives the input back');
  const half = await decode(new Uint8Array(await (await post('/v1/stylize/wave?strength=0.5', png)).arrayBuffer()));
  const full = (await referenceOutput(files.style, image)).data;
  const expected = full.map((v, i) => Math.round(0.5 * v + 0.5 * image.data[i]!));
  assert.ok(maxDiff(half.data, expected) <= 1);
  const jpeg = await post('/v1/stylize/wave?format=jpeg&quality=80', png);
  assert.is(jpeg.headers.get('content-type'), 'image/jpeg');
  const bytes = new Uint8Array(await jpeg.arrayBuffer());
  assert.equal([bytes[0], bytes[1]], [0xff, 0xd8]);
  const webp = await post('/v1/stylize/wave?format=webp', await encode(image, 'webp'), 'image/webp');
  assert.is(webp.status, 200);
  assert.is(webp.headers.get('content-type'), 'image/webp');
});

test('404 for unknown models, traversal attempts, wrong task and unknown routes', async () => {
  const png = await encode(testImage(8, 8));
  await expectError(await post('/v1/stylize/nope', png), 404, 'E_NOT_FOUND', /No model named "nope".*GET \/v1\/models/);
  await expectError(await post('/v1/stylize/..%2Fetc', png), 404, 'E_NOT_FOUND', /No model named "\.\.\/etc"/);
  // URL parsing resolves an encoded dot segment before routing: it leaves /v1/stylize.
  await expectError(await post('/v1/stylize/%2e%2e', png), 404, 'E_NOT_FOUND', /No route POST \/v1\/\. /);
  await expectError(await post('/v1/stylize/__proto__', png), 404, 'E_NOT_FOUND', /No model named "__proto__"/);
  await expectError(await post('/v1/stylize/%E0%A4%A', png), 404, 'E_NOT_FOUND', /percent-encoding/);
  await expectError(await post('/v1/upscale/wave', png), 404, 'E_NOT_FOUND', /style model.*POST to \/v1\/stylize\/wave/);
  await expectError(await post('/v1/stylize/x2', png), 404, 'E_NOT_FOUND', /super-resolution model.*\/v1\/upscale\/x2/);
  await expectError(await service.fetch(new Request(`${BASE}/etc/passwd`)), 404, 'E_NOT_FOUND', /No route GET \/etc\/passwd/);
  const get = await service.fetch(new Request(`${BASE}/v1/stylize/wave`));
  await expectError(get, 405, 'E_METHOD_NOT_ALLOWED', /GET is not allowed.*Use POST/);
  assert.is(get.headers.get('allow'), 'POST');
});

test('415 for an unsupported Content-Type, or a body of another format', async () => {
  const png = await encode(testImage(8, 8));
  await expectError(await post('/v1/stylize/wave', png, 'text/plain'), 415, 'E_UNSUPPORTED_TYPE', /"text\/plain" is not supported.*image\/png, image\/jpeg, image\/webp/);
  await expectError(await post('/v1/stylize/wave', png, ''), 415, 'E_UNSUPPORTED_TYPE', /""/);
  const gif = await encode(testImage(8, 8), 'gif');
  await expectError(await post('/v1/stylize/wave', gif), 415, 'E_UNSUPPORTED_TYPE', /image\/png \(but the body is gif\)/);
  // Parameters after the media type are fine.
  assert.is((await post('/v1/stylize/wave', png, 'Image/PNG; foo=bar')).status, 200);
});

test('413 for a body over the limit (Content-Length or streamed) and for too many pixels', async () => {
  const big = new Uint8Array(65 * 1024);
  await expectError(
    await post('/v1/stylize/wave', big, 'image/png', { headers: { 'Content-Type': 'image/png', 'Content-Length': String(big.length) } }),
    413,
    'E_TOO_LARGE',
    /Content-Length\) is 66560, above the limit of 65536\. .*--max-body-mb/,
  );
  // A stream has no length: the limit is counted while reading.
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      if (pulled > 100) controller.close();
      else controller.enqueue(new Uint8Array(16 * 1024));
    },
  });
  await expectError(await post('/v1/stylize/wave', stream), 413, 'E_TOO_LARGE', /request body is over 65536 bytes/);
  assert.ok(pulled <= 6, `stopped reading at the limit (pulled ${pulled} chunks)`);
  const tall = await encode(testImage(8, 600));
  await expectError(await post('/v1/stylize/wave', tall), 413, 'E_TOO_LARGE', /\(8x600\)'s pixel count is 4800, above the limit of 4096.*--max-pixels/);
});

test('400 for bad query parameters and bodies that are not images', async () => {
  const png = await encode(testImage(8, 8));
  await expectError(await post('/v1/stylize/wave?format=bmp', png), 400, 'E_OPTIONS', /query\.format must be one of png, jpeg, webp \(received "bmp"\)/);
  await expectError(await post('/v1/stylize/wave?quality=0', png), 400, 'E_OPTIONS', /query\.quality must be an integer from 1 to 100/);
  await expectError(await post('/v1/stylize/wave?strength=1.5', png), 400, 'E_OPTIONS', /query\.strength must be a number from 0 to 1/);
  await expectError(await post('/v1/upscale/x2?strength=0.5', png), 400, 'E_OPTIONS', /query\.strength must be absent for upscaling/);
  await expectError(await post('/v1/stylize/wave?fromat=png', png), 400, 'E_OPTIONS', /query\.fromat must be absent \(known parameters/);
  await expectError(await post('/v1/stylize/wave', new Uint8Array([1, 2, 3, 4])), 400, 'E_IMAGE_DECODE', /Cannot decode the request body.*PNG, JPEG or WebP/);
});

test('pool failures: queue full 503 with Retry-After, timeout 503, anything else 500', async () => {
  const png = await encode(testImage(8, 8));
  const busy = await post('/v1/stylize/busy', png);
  assert.is(busy.headers.get('retry-after'), '3');
  await expectError(busy, 503, 'E_QUEUE_FULL', /queue is full/);
  await expectError(await post('/v1/stylize/slow', png), 503, 'E_ABORTED', /aborted: the job timed out after 5 ms/);
  const broken = await post('/v1/stylize/broken', png);
  assert.is(broken.headers.get('retry-after'), null);
  await expectError(broken, 500, 'E_INTERNAL', /^boom$/);
});

test('the status table follows STYLE.md', () => {
  assert.is(HTTP_STATUS_BY_CODE.E_OPTIONS, 400);
  assert.is(describeHttpError(Object.assign(new RangeError('x'), { code: 'E_OPTIONS' })).status, 400);
  assert.is(describeHttpError(perceptualError('E_QUEUE_FULL', 'q')).headers['Retry-After'], '1');
  assert.is(describeHttpError(perceptualError('E_WEIGHTS_FORMAT', 'w')).status, 500);
  assert.is(describeHttpError('a string').body.code, 'E_INTERNAL');
});

test('createService checks its options', () => {
  const pool = failingPool(new Error('unused'));
  assert.throws(() => createService({ models: [{ name: '../x', pool }], codec: sharpCodec }), /options\.models\[0\]\.name must be a name matching/);
  assert.throws(() => createService({ models: [{ name: 'a', pool }, { name: 'a', pool }], codec: sharpCodec }), /options\.models\[1\]\.name must be a name not used by another model \(received "a"\)/);
  assert.throws(() => createService({ models: [], codec: sharpCodec, maxPixels: 0 }), /options\.maxPixels must be a positive integer \(received 0\)/);
});

test('no tensors leak across repeated requests', async () => {
  const png = await encode(testImage(12, 12));
  await post('/v1/upscale/x2', png);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i += 1) {
    assert.is((await post('/v1/upscale/x2', png)).status, 200);
    assert.is((await post('/v1/stylize/wave', png)).status, 200);
  }
  assert.is(tf.memory().numTensors, before);
});

test('in-process pool: tiles with enough overlap reproduce the whole-image SR output', async () => {
  const image = testImage(40, 36);
  const tiled = await createInProcessPool({ model: files.sr, tile: 24, overlap: 8 });
  try {
    const out = await tiled.run(image);
    assert.equal([out.width, out.height], [80, 72]);
    assert.ok(maxDiff(out.data, (await referenceOutput(files.sr, image)).data) <= 1);
  } finally {
    await tiled.close();
  }
});

test('in-process pool: maxQueue, abort of a queued job, close', async () => {
  const pool = await createInProcessPool({ model: files.sr, maxQueue: 1 });
  const image = testImage(8, 8);
  const first = pool.run(image);
  const controller = new AbortController();
  const second = pool.run(image, { signal: controller.signal });
  const third = pool.run(image);
  await rejects(third, /queue is full \(1 jobs waiting, 1 running\)/);
  assert.equal([pool.stats.running, pool.stats.queued], [1, 1]);
  controller.abort(new Error('client left'));
  await rejects(second, (e: Error) => e.name === 'AbortError' && (e.cause as Error).message === 'client left');
  assert.is(pool.stats.queued, 0);
  assert.is((await first).width, 16);
  assert.equal([pool.stats.completed, pool.stats.running], [1, 0]);
  await rejects(pool.run(image, { timeoutMs: -1 }), /options\.timeoutMs must be an integer >= 0 \(milliseconds; 0 for no limit\) \(received -1\)/);
  await pool.close();
  await rejects(pool.run(image), /^The inference pool is closed; create a new pool with createInProcessPool\(\)\.$/);
});

test.run();
