/**
 * The service over real HTTP with the real worker pool (src/serve/pool.node.ts,
 * one worker thread) behind it: the output equals the network run directly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createService } from '../../src/serve/handler.js';
import { sharpCodec } from '../../src/serve/image-codec.node.js';
import { serveNode } from '../../src/serve/node-adapter.js';
import { createPool } from '../../src/serve/pool.node.js';
import { useBackend } from '../helpers/backends.js';
import { decode, encode, maxDiff, referenceOutput, testImage, tinyModelFiles } from './fixtures.js';

test('upscale over HTTP through the worker pool matches the direct network output', async () => {
  await useBackend('cpu');
  const files = await tinyModelFiles();
  const pool = await createPool({ model: files.sr, workers: 1 });
  const server = await serveNode(createService({ models: [{ name: 'x2', pool }], codec: sharpCodec }), { port: 0 });
  try {
    const image = testImage(18, 14);
    const response = await fetch(`${server.url}/v1/upscale/x2`, { method: 'POST', body: await encode(image), headers: { 'Content-Type': 'image/png' } });
    assert.is(response.status, 200);
    const out = await decode(new Uint8Array(await response.arrayBuffer()));
    assert.equal([out.width, out.height], [36, 28]);
    // Worker backend may differ from this thread's (wasm vs cpu): allow one 8-bit step.
    assert.ok(maxDiff(out.data, (await referenceOutput(files.sr, image)).data) <= 1);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string };
    assert.is(health.status, 'ok');
  } finally {
    await server.close(); // closes the pool too
    await files.remove();
  }
});

test.run();
