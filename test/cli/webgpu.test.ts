/**
 * `stylize`, `upscale` (the library's createUpscaler) and `serve` on the
 * webgpu backend, end to end, against the same runs on wasm: the same 8-bit
 * pixels, at most one level apart in at most 1% of the values. Both backends
 * compute in float32 and differ only in summation order (about 1e-6 relative;
 * test/runtime/webgpu-parity.test.ts bounds the whole network at 1e-4), which
 * can move a value across a rounding boundary by one level, rarely.
 *
 * The images are small but tiled (bundled models, a tile of the network's
 * smallest size): a statistics pass, then four tiles blended, each read back
 * with data(), since webgpu cannot read synchronously in Node. On a machine
 * without a GPU the adapter is Chromium's SwiftShader, forced (a software
 * adapter is never chosen by default); without it the webgpu runs are skipped
 * with a message, and only the refusals of what cannot work run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../../src/cli/context.js';
import { readModelArch, serveCommand } from '../../src/cli/serve.js';
import { createStylizer, createUpscaler } from '../../src/infer/image-transformer.node.js';
import { resolveInferOptions, shouldTile } from '../../src/infer/infer-image.js';
import { planTiles } from '../../src/infer/tile-plan.js';
import type { RgbImage } from '../../src/pixels.js';
import type { TransformArch } from '../../src/types.js';
import { resolveModel } from '../../src/weights/model-registry.js';
import { rejectsWithCode } from '../helpers/option-errors.js';
import { releaseWebGpu, useWebGpu, webGpuSkipReason } from '../helpers/webgpu.js';
import { decode, encode, testImage } from '../serve/fixtures.js';
import { cli, tempDir } from './helpers.js';

/** The smallest tiles of each bundled model (its overlap; SR's floor), on images just large enough for four. */
const STYLE = { model: 'wave', width: 64, height: 48, tile: 36 } as const;
const SR = { model: 'sr-x4', width: 24, height: 20, tile: 16 } as const;

const skip = webGpuSkipReason();
let tmp: Awaited<ReturnType<typeof tempDir>>;
const wasm = { tiled: undefined as RgbImage | undefined, whole: undefined as RgbImage | undefined, upscaled: undefined as RgbImage | undefined };

/** Runs the CLI and fails with its stderr unless it exits 0. */
async function cliOk(argv: readonly string[]): Promise<string> {
  const run = await cli(argv);
  assert.is(run.code, 0, run.stderr);
  return run.stderr;
}

/** Largest difference, and how many values differ at all. */
function compare(a: Uint8Array, b: Uint8Array): { max: number; differing: number } {
  assert.is(a.length, b.length);
  let max = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    if (d > 0) differing += 1;
  }
  return { max, differing };
}

function assertSamePixels(got: RgbImage, want: RgbImage, label: string): void {
  assert.equal([got.width, got.height], [want.width, want.height], label);
  const { max, differing } = compare(got.data, want.data);
  assert.ok(max <= 1, `${label}: max |webgpu - wasm| = ${max}`);
  assert.ok(differing <= got.data.length / 100, `${label}: ${differing} of ${got.data.length} values differ`);
  assert.ok(Math.max(...want.data) - Math.min(...want.data) > 32, `${label}: the output has contrast`);
  console.log(`  ${label}: max |webgpu - wasm| = ${max}, ${differing} of ${got.data.length} values differ`);
}

async function archOf(name: string): Promise<TransformArch> {
  return (await readModelArch(await resolveModel(name))) as TransformArch;
}

test.before(async () => {
  tmp = await tempDir('webgpu');
  await writeFile(tmp.path('style-in.png'), await encode(testImage(STYLE.width, STYLE.height)));
  await writeFile(tmp.path('sr-in.png'), await encode(testImage(SR.width, SR.height)));
  // References on wasm, through the same commands.
  await cliOk(['stylize', tmp.path('style-in.png'), '-o', tmp.path('tiled-wasm.png'), '--model', STYLE.model, '--tile', String(STYLE.tile), '--backend', 'wasm']);
  await cliOk(['stylize', tmp.path('style-in.png'), '-o', tmp.path('whole-wasm.png'), '--model', STYLE.model, '--backend', 'wasm']);
  await cliOk(['upscale', tmp.path('sr-in.png'), '-o', tmp.path('upscaled-wasm.png'), '--model', SR.model, '--tile', String(SR.tile), '--backend', 'wasm']);
  wasm.tiled = await decode(await readFile(tmp.path('tiled-wasm.png')));
  wasm.whole = await decode(await readFile(tmp.path('whole-wasm.png')));
  wasm.upscaled = await decode(await readFile(tmp.path('upscaled-wasm.png')));
  if (skip !== undefined) return;
  const found = await useWebGpu();
  if ('skip' in found) throw new Error(found.skip);
  console.log(`webgpu inference on ${found.runtime.details.adapter} (software: ${found.runtime.details.software})`);
});

test.after(async () => {
  await releaseWebGpu();
  await tmp.remove();
});

test('the test images take the tiled path: four tiles each, after a statistics pass for style', async () => {
  for (const { model, width, height, tile } of [STYLE, SR]) {
    const arch = await archOf(model);
    const options = resolveInferOptions(arch, { tile });
    assert.ok(shouldTile({ width, height }, options), model);
    assert.is(planTiles({ width, height }, { tile: options.tile, overlap: options.overlap, feather: options.feather, multiple: options.multiple, scale: options.scale }).tiles.length, 4, model);
    assert.is(options.tile, model === STYLE.model ? options.overlap : 16, `${model}: the smallest tile it takes`);
  }
});

test('worker threads with webgpu are refused, naming --workers and what to do', async () => {
  const style = ['stylize', tmp.path('style-in.png'), '-o', tmp.path('never.png'), '--model', STYLE.model];
  const flag = await cli([...style, '--backend', 'webgpu', '--workers', '2']);
  assert.is(flag.code, 2, flag.stderr);
  assert.match(flag.stderr, /E_OPTIONS: --workers must be 0 or absent with --backend webgpu \(worker threads run WASM; .*\)\. Drop --workers to run on WebGPU, or use --backend wasm for worker threads \(received 2\)/);
  const env = await cli(['upscale', tmp.path('sr-in.png'), '-o', tmp.path('never.png'), '--model', SR.model, '--workers', '3'], { env: { PERCEPTUAL_BACKEND: 'webgpu' } });
  assert.is(env.code, 2, env.stderr);
  assert.match(env.stderr, /--workers must be 0 or absent with PERCEPTUAL_BACKEND=webgpu/);
  const context = memoryContext();
  const serve = serveCommand(context, { waitForStop: async () => assert.unreachable('serve started') });
  serve.exitOverride();
  await serve.parseAsync(['--model', STYLE.model, '--port', '0', '--backend', 'webgpu', '--workers', '2'], { from: 'user' });
  assert.is(context.exitCode, 2, context.err());
  assert.match(context.err(), /--workers must be 0 or absent with --backend webgpu/);
  await rejectsWithCode(createStylizer({ model: STYLE.model, backend: 'webgpu', workers: 2 }), 'E_OPTIONS', /options\.workers must be 0 or absent with backend 'webgpu'/);
});

if (skip !== undefined) {
  console.log(`SKIP test/cli/webgpu.test.ts (webgpu runs): ${skip}`);
} else {
  test('stylize --backend webgpu: tiled, the pixels of wasm', async () => {
    const stderr = await cliOk(['stylize', tmp.path('style-in.png'), '-o', tmp.path('tiled-webgpu.png'), '--model', STYLE.model, '--tile', String(STYLE.tile), '--backend', 'webgpu']);
    assert.match(stderr, /^backend: webgpu \(forced by options\.backend for infer\)$/m);
    assertSamePixels(await decode(await readFile(tmp.path('tiled-webgpu.png'))), wasm.tiled!, 'stylize');
  });

  test('serve --backend webgpu runs in this process without --in-process and answers like wasm', async () => {
    const context = memoryContext();
    let answer: RgbImage | undefined;
    const serve = serveCommand(context, {
      waitForStop: async (url) => {
        const response = await fetch(`${url}/v1/stylize/${STYLE.model}`, { method: 'POST', body: await encode(testImage(STYLE.width, STYLE.height)), headers: { 'Content-Type': 'image/png' } });
        assert.is(response.status, 200, await response.clone().text());
        answer = await decode(new Uint8Array(await response.arrayBuffer()));
      },
    });
    serve.exitOverride();
    await serve.parseAsync(['--model', STYLE.model, '--port', '0', '--backend', 'webgpu'], { from: 'user' });
    assert.is(context.exitCode, 0, context.err());
    assert.match(context.err(), /^backend: webgpu \(forced by options\.backend for infer\)$/m);
    assert.match(context.err(), new RegExp(`model ${STYLE.model}: style, POST .* \\(1 worker\\)`));
    assertSamePixels(answer!, wasm.whole!, 'serve');
  });

  test('createUpscaler on webgpu: a tensor in, four tiles, a tensor out with the pixels of `upscale --backend wasm`, no tensor left', async () => {
    const before = tf.memory().numTensors;
    const upscaler = await createUpscaler({ model: SR.model, backend: 'webgpu', tile: SR.tile });
    const source = testImage(SR.width, SR.height);
    const input = tf.tensor3d(Float32Array.from(source.data, (v) => v / 255), [SR.height, SR.width, 3]);
    const progress: Array<{ done: number; total: number }> = [];
    try {
      assert.is(tf.getBackend(), 'webgpu');
      const output = await upscaler.upscale(input, { onProgress: (p) => progress.push(p) });
      const values = await output.data();
      output.dispose();
      const bytes = Uint8Array.from(values, (v) => Math.round(v * 255));
      assert.equal(progress.at(-1), { done: 4, total: 4 });
      assertSamePixels({ data: bytes, width: output.shape[1], height: output.shape[0] }, wasm.upscaled!, 'upscale');
    } finally {
      input.dispose();
      await upscaler.close();
    }
    assert.is(tf.memory().numTensors, before, 'no tensor left behind on webgpu');
  });
}

test.run();
