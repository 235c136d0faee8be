/**
 * The edge worker (examples/edge) in the real runtimes: builds it once,
 * starts Cloudflare's workerd (npm `workerd`) and Deno (npm `deno`) on
 * 127.0.0.1 on a free port, POSTs a 64x48 PNG to /v1/stylize/wave and a
 * 16x12 PNG to /v1/upscale/sr-x4, and compares the answers with the same
 * bundled models run directly in this Node process on WASM (within one 8-bit
 * level); and checks that workerd does refuse WebAssembly given as bytes,
 * which is why its build imports the .wasm files as modules. Each runtime is
 * skipped with a SKIP line when its binary is absent or does not start.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RgbImage } from '../../src/pixels.js';
import { useBackend } from '../helpers/backends.js';
import { decode, encode, maxDiff, referenceOutput, testImage } from './fixtures.js';

type Built = { workerd: { config: string }; deno: { file: string } };
interface BuildModule {
  buildEdge(options: { outdir: string }): Promise<Built>;
}
interface ServeLocalModule {
  runtimeUnavailable(name: 'workerd' | 'deno'): string | null;
  freePort(): Promise<number>;
  startRuntime(
    name: 'workerd' | 'deno',
    options: { built: Built; port: number; ready?: (response: Response) => boolean },
  ): Promise<{ url: string; log(): string; stop(): Promise<void> }>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = { wave: join(root, 'models', 'wave.safetensors'), srX4: join(root, 'models', 'sr-x4.safetensors') };
const { buildEdge } = (await import('../../examples/edge/build.mjs' as string)) as BuildModule;
const { runtimeUnavailable, freePort, startRuntime } = (await import('../../examples/edge/serve-local.mjs' as string)) as ServeLocalModule;

async function post(url: string, image: RgbImage): Promise<RgbImage> {
  const response = await fetch(url, { method: 'POST', body: await encode(image), headers: { 'Content-Type': 'image/png' } });
  const body = new Uint8Array(await response.arrayBuffer());
  assert.is(response.status, 200, `${url}: ${new TextDecoder().decode(body.subarray(0, 300))}`);
  assert.is(response.headers.get('content-type'), 'image/png');
  return decode(body);
}

// One build for both runtimes (esbuild: a few seconds).
const work = await mkdtemp(join(tmpdir(), 'perceptual-edge-'));
const built = await buildEdge({ outdir: work });
const styleInput = testImage(64, 48);
const srInput = testImage(16, 12);
await useBackend('wasm');
const expected = { style: await referenceOutput(MODELS.wave, styleInput), sr: await referenceOutput(MODELS.srX4, srInput) };

for (const name of ['workerd', 'deno'] as const) {
  test(`${name}: the worker stylises with wave and upscales with sr-x4 as Node does (within one 8-bit level)`, async () => {
    const unavailable = runtimeUnavailable(name);
    if (unavailable !== null) {
      console.log(`SKIP ${name}: ${unavailable}`);
      return;
    }
    const runtime = await startRuntime(name, { built, port: await freePort() });
    try {
      const models = (await (await fetch(`${runtime.url}/v1/models`)).json()) as { name: string; task: string; scale: number }[];
      assert.equal(models.map((m) => [m.name, m.task, m.scale]), [['la_muse', 'style', 1], ['wave', 'style', 1], ['sr-x4', 'sr', 4]]);
      const styled = await post(`${runtime.url}/v1/stylize/wave`, styleInput);
      assert.equal([styled.width, styled.height], [64, 48]);
      assert.ok(maxDiff(styled.data, styleInput.data) > 32, 'the output differs from the input');
      assert.ok(maxDiff(styled.data, expected.style.data) <= 1, `${name} stylised pixels differ from Node's by ${maxDiff(styled.data, expected.style.data)} levels`);
      const upscaled = await post(`${runtime.url}/v1/upscale/sr-x4`, srInput);
      assert.equal([upscaled.width, upscaled.height], [64, 48]);
      assert.ok(maxDiff(upscaled.data, expected.sr.data) <= 1, `${name} upscaled pixels differ from Node's by ${maxDiff(upscaled.data, expected.sr.data)} levels`);
    } catch (error) {
      console.log(`${name} log:\n${runtime.log()}`);
      throw error;
    } finally {
      await runtime.stop();
    }
  });
}

test('workerd refuses WebAssembly handed over as bytes (the Deno build): 500 E_BACKEND_UNAVAILABLE saying to import the .wasm file', async () => {
  const unavailable = runtimeUnavailable('workerd');
  if (unavailable !== null) {
    console.log(`SKIP workerd: ${unavailable}`);
    return;
  }
  const config = join(dirname(built.deno.file), 'bytes.capnp');
  await writeFile(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [(name = "w", worker = .w)], sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "w")]);
const w :Workerd.Worker = (modules = [(name = "worker.js", esModule = embed "worker.js")], compatibilityDate = "2025-09-01");
`,
  );
  const runtime = await startRuntime('workerd', { built: { ...built, workerd: { config } }, port: await freePort(), ready: (r) => r.status === 500 });
  try {
    const body = (await (await fetch(`${runtime.url}/healthz`)).json()) as { code: string; message: string };
    assert.is(body.code, 'E_BACKEND_UNAVAILABLE');
    assert.match(body.message, /disallowed by embedder.*import the \.wasm file as a module/);
  } finally {
    await runtime.stop();
  }
});

test.after(() => rm(work, { recursive: true, force: true }));

test.run();
