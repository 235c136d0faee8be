/**
 * The SIMD `Conv2D` paths on wasm (Winograd F(4x4, 3x3) and RGB output) (src/runtime/kernels/conv2d-simd.ts,
 * wasm/src/winograd-f43.c): against a float64 direct convolution on odd and
 * even sizes, 'same'/'valid'/explicit asymmetric padding, batch 2, tile blocks
 * that end mid-row; shapes outside its domain reach the stock kernel unchanged;
 * the committed binary matches wasm/MANIFEST.json; tensors do not leak.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SIMD_KERNELS_WASM_BASE64 } from '../../src/runtime/kernels/simd-kernels-binary.generated.js';
import { simdKernelsStatus } from '../../src/runtime/kernels/simd-kernels.js';
import { type Conv2DPath, conv2DPath, conv2DPathCalls } from '../../src/runtime/kernels/conv2d-simd.js';
import { stockKernel } from '../../src/runtime/kernels/register-kernels.js';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeaks } from '../helpers/leaks.js';
import { conv2dReference, padsFor, relativeError, seeded, type PadSpec, type Shape4 } from './conv-reference.js';

const repo = new URL('../../', import.meta.url);

function check(xs: Shape4, cout: number, pad: PadSpec, seed: number, k = 3): void {
  const ws: Shape4 = [k, k, xs[3], cout];
  const tfPadInfo = typeof pad === 'object' ? [[0, 0], [pad.top, pad.bottom], [pad.left, pad.right], [0, 0]] : pad;
  const path = conv2DPath(tf.backend_util.computeConv2DInfo(xs, ws, 1, 1, tfPadInfo as 'same'), 'float32');
  assert.is(path, cout === 3 ? 'rgb-output' : 'winograd', `the case ${JSON.stringify({ xs, cout, pad })} must exercise perceptual's kernel`);
  const x = seeded(xs.reduce((a, b) => a * b), seed);
  const w = seeded(ws.reduce((a, b) => a * b), seed + 1);
  const pads = padsFor(pad, xs[1], xs[2], k, k, 1);
  const expected = conv2dReference(x, xs, w, ws, 1, pads);
  const tfPad = typeof pad === 'object' ? [[0, 0], [pad.top, pad.bottom], [pad.left, pad.right], [0, 0]] as [number, number][] : pad;
  const y = tf.conv2d(tf.tensor4d(x, xs), tf.tensor4d(w, ws), 1, tfPad as 'same');
  assert.equal(y.shape, expected.shape, `shape for ${JSON.stringify({ xs, cout, pad })}`);
  const error = relativeError(y.dataSync(), expected.y);
  assert.ok(error < 1e-5, `relative error ${error} for ${JSON.stringify({ xs, cout, pad })}`);
  tf.dispose(y);
}

test('the SIMD kernels load on wasm', async () => {
  await useBackend('wasm');
  tf.tidy(() => tf.conv2d(tf.ones([1, 16, 16, 4]) as tf.Tensor4D, tf.ones([3, 3, 4, 8]) as tf.Tensor4D, 1, 'same').dataSync());
  assert.is(simdKernelsStatus(), 'ready');
});

test('Winograd conv equals a float64 direct convolution', async () => {
  await useBackend('wasm');
  check([1, 16, 16, 4], 8, 'same', 1);
  check([1, 17, 19, 8], 16, 'same', 2); // odd sizes: partial tiles on both edges
  check([2, 14, 15, 4], 8, 'valid', 3);
  check([1, 15, 18, 12], 24, { top: 2, bottom: 0, left: 1, right: 3 }, 4); // asymmetric, wider than the kernel
  check([1, 18, 18, 4], 8, 'valid', 5); // 16x16 outputs: the smallest map that takes the Winograd path
  check([1, 30, 30, 16], 16, 'same', 6); // 64 tiles: several blocks
  check([1, 26, 22, 8], 16, 'same', 8); // 7 x 6 tiles: blocks end mid-row, the last one partial, partial edge tiles
  check([1, 5, 70, 4], 8, 'same', 7); // 5 rows: every tile touches the top or bottom border
});

test('RGB-output conv (3 output channels) equals a float64 direct convolution', async () => {
  await useBackend('wasm');
  check([1, 20, 21, 8], 3, 'valid', 21, 9); // interior groups of 4 plus a remainder column
  check([1, 12, 13, 4], 3, 'same', 22, 9); // zero padding: border pixels on every side
  check([2, 9, 7, 12], 3, { top: 0, bottom: 2, left: 3, right: 1 }, 23, 5);
  check([1, 6, 6, 8], 3, 'same', 24, 3);
});

test('shapes outside the Winograd domain give the stock kernel result exactly', async () => {
  await useBackend('wasm');
  const stock = stockKernel('wasm', tf.Conv2D);
  assert.ok(stock, 'the stock Conv2D was kept');
  const cases: [Shape4, Shape4, number, 'same' | 'valid'][] = [
    [[1, 9, 9, 3], [1, 1, 3, 8], 1, 'same'], // C % 4 != 0, 1x1
    [[1, 9, 9, 6], [3, 3, 6, 8], 1, 'same'], // C % 4 != 0 and C > 4
    [[1, 9, 9, 4], [3, 3, 4, 6], 1, 'same'], // O % 8 != 0 and not 3
    [[1, 9, 9, 6], [9, 9, 6, 3], 1, 'same'], // 3 outputs but C % 4 != 0
    [[1, 9, 9, 4], [3, 3, 4, 8], 2, 'same'], // stride 2
    [[1, 15, 15, 8], [3, 3, 8, 8], 1, 'same'], // 225 output pixels: below WINOGRAD_MIN_PIXELS
    [[1, 9, 9, 4], [5, 5, 4, 8], 1, 'valid'], // 5x5
  ];
  for (const [xs, ws, stride, pad] of cases) {
    const x = tf.tensor4d(seeded(xs.reduce((a, b) => a * b), 11), xs);
    const w = tf.tensor4d(seeded(ws.reduce((a, b) => a * b), 12), ws);
    const ours = tf.conv2d(x, w, stride, pad);
    const theirs = stock!.kernelFunc({ inputs: { x, filter: w }, backend: tf.backend(), attrs: { strides: stride, pad, dataFormat: 'NHWC', dilations: 1 } }) as tf.TensorInfo;
    const theirsT = tf.engine().makeTensorFromTensorInfo(theirs);
    assert.equal(Array.from(ours.dataSync()), Array.from(theirsT.dataSync()), JSON.stringify({ xs, ws, stride }));
    tf.dispose([x, w, ours, theirsT]);
  }
});

test('conv2DPathCalls counts each call on the kernel conv2DPath names (what the network agreement tests rely on)', async () => {
  await useBackend('wasm');
  const cases: [Shape4, Shape4, Conv2DPath][] = [
    [[1, 16, 16, 8], [3, 3, 8, 16], 'winograd'],
    [[1, 15, 15, 8], [3, 3, 8, 16], 'stock'], // 225 output pixels
    [[1, 9, 9, 8], [9, 9, 8, 3], 'rgb-output'],
    [[1, 16, 16, 3], [3, 3, 3, 16], 'stock'], // 3 input channels
  ];
  for (const [xs, ws, path] of cases) {
    assert.is(conv2DPath(tf.backend_util.computeConv2DInfo(xs, ws, 1, 1, 'same'), 'float32'), path);
    const before = conv2DPathCalls();
    tf.tidy(() => tf.conv2d(tf.ones(xs) as tf.Tensor4D, tf.ones(ws) as tf.Tensor4D, 1, 'same').dataSync());
    const after = conv2DPathCalls();
    for (const p of ['winograd', 'rgb-output', 'stock'] as const) assert.is(after[p] - before[p], p === path ? 1 : 0, `${JSON.stringify({ xs, ws })} ${p}`);
  }
});

test('repeated Winograd convs leave no tensors or heap blocks behind', async () => {
  await useBackend('wasm');
  const x = tf.randomNormal([1, 16, 16, 8]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 8, 16]) as tf.Tensor4D;
  assertNoLeaks(() => tf.dispose(tf.conv2d(x, w, 1, 'same')), 5);
  tf.dispose([x, w]);
});

test('the embedded binary is wasm/perceptual-kernels.wasm, as recorded in wasm/MANIFEST.json', () => {
  const manifest = JSON.parse(readFileSync(new URL('wasm/MANIFEST.json', repo), 'utf8')) as { sha256: string; sources: Record<string, string> };
  const committed = readFileSync(new URL('wasm/perceptual-kernels.wasm', repo));
  const embedded = Buffer.from(SIMD_KERNELS_WASM_BASE64, 'base64');
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  assert.is(sha(committed), manifest.sha256);
  assert.is(sha(embedded), manifest.sha256);
  for (const [source, digest] of Object.entries(manifest.sources)) {
    assert.is(sha(readFileSync(new URL(source, repo))), digest, `${source} changed since the last build: run node wasm/build.mjs`);
  }
});

test('wasm/build.mjs rebuilds the committed binary byte for byte (same clang)', () => {
  const manifest = JSON.parse(readFileSync(new URL('wasm/MANIFEST.json', repo), 'utf8')) as { compiler: string };
  let compiler: string;
  try {
    compiler = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    console.log('  skipped: no clang here (apt-get install clang lld) to rebuild wasm/perceptual-kernels.wasm');
    return;
  }
  if (compiler !== manifest.compiler) {
    console.log(`  skipped: ${compiler} is not the manifest's ${manifest.compiler}; bytes may differ`);
    return;
  }
  const out = execFileSync(process.execPath, [new URL('wasm/build.mjs', repo).pathname, '--check'], { encoding: 'utf8' });
  assert.match(out, /^identical/);
});

test.run();
