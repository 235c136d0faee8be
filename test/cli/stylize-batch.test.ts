import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { globToRegExp, splitGlob } from '../../src/cli/batch-inputs.js';
import { readImage } from '../../src/data/image-io.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import type { TransformModel } from '../../src/types.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { cli, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let model: TransformModel;
const W = 12;
const H = 8;

/** A W x H PNG of distinct colours, as 8-bit RGB and on disk. */
async function writePng(path: string, seed: number): Promise<Uint8Array> {
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101) % 256;
  await sharp(data, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path);
  return data;
}

async function rgbOf(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

const common = () => ['--model', tmp.path('style.safetensors'), '--in-process', '--backend', 'cpu'];

test.before(async () => {
  await useBackend('cpu');
  tmp = await tempDir('stylize-batch');
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
  model = { arch, params: initParams(arch, 3), provenance: { source: 'test' } };
  await saveModel(tmp.path('style.safetensors'), model);
  const sr = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 });
  const srModel: TransformModel = { arch: sr, params: initParams(sr, 4), provenance: {} };
  await saveModel(tmp.path('sr.safetensors'), srModel);
  tf.dispose(Object.values(srModel.params));
  await mkdir(tmp.path('photos/sub'), { recursive: true });
  await writePng(tmp.path('photos/a.png'), 1);
  await writePng(tmp.path('photos/sub/b.png'), 2);
  await writeFile(tmp.path('photos/bad.png'), 'not an image');
  await writeFile(tmp.path('photos/notes.txt'), 'skipped: not an image extension');
});

test.after(async () => {
  tf.dispose(Object.values(model.params));
  await tmp.remove();
});

test('a folder: good images written mirrored, a corrupt one reported at the end, non-zero exit', async () => {
  const run = await cli(['stylize', tmp.path('photos'), '-o', tmp.path('out'), ...common()]);
  assert.is(run.code, 3, run.stderr); // E_IMAGE_DECODE -> io
  assert.ok(existsSync(tmp.path('out/a.png')));
  assert.ok(existsSync(tmp.path('out/sub/b.png')));
  assert.not.ok(existsSync(tmp.path('out/bad.png')));
  assert.not.ok(existsSync(tmp.path('out/notes.txt')));
  // One line per finished file without a terminal, then the summary.
  assert.is(run.stderr.match(/^\[\d\/3\] /gm)?.length, 3, run.stderr);
  assert.match(run.stderr, /stylize: wrote 2 of 3 to .*out in \d+\.\d\d s\n1 failed:\n {2}.*bad\.png: E_IMAGE_DECODE: Cannot decode image '.*bad\.png'/);
  assert.equal(run.stdout.trim().split('\n').sort(), [tmp.path('out/a.png'), tmp.path('out/sub/b.png')]);
  // The pixels are what the network computes (independently: the plain forward, rounded).
  const input = await readImage(tmp.path('photos/a.png'));
  const expected = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(transform(model, input), 0, 1), 255)));
  const written = await rgbOf(tmp.path('out/a.png'));
  const want = expected.dataSync();
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i]! - written.data[i]!));
  assert.ok(maxDiff <= 1, `max difference ${maxDiff} levels`);
  tf.dispose([input, expected]);
});

test('never overwrites an input: each clashing file fails, the inputs stay intact', async () => {
  await mkdir(tmp.path('same'), { recursive: true });
  await writePng(tmp.path('same/x.png'), 5);
  const before = await readFile(tmp.path('same/x.png'));
  const run = await cli(['stylize', tmp.path('same'), '-o', tmp.path('same'), ...common()]);
  assert.is(run.code, 2, run.stderr);
  assert.match(run.stderr, /x\.png: E_OPTIONS: --output must be a folder where no output lands on an input \('.*same\/x\.png' is the input/);
  assert.equal(await readFile(tmp.path('same/x.png')), before);
});

test('an output folder inside the input folder is not read back on the next run', async () => {
  await mkdir(tmp.path('nest'), { recursive: true });
  await writePng(tmp.path('nest/p.png'), 6);
  for (let i = 0; i < 2; i++) {
    const run = await cli(['stylize', tmp.path('nest'), '-o', tmp.path('nest/styled'), ...common()]);
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stderr, /wrote 1 of 1 /);
  }
});

test('globs: expansion with the base folder mirrored, --format and --quality', async () => {
  const run = await cli(['stylize', `${tmp.path('photos')}/s*/*.png`, '-o', tmp.path('globbed'), '--format', 'jpeg', '--quality', '80', ...common()]);
  assert.is(run.code, 0, run.stderr);
  assert.ok(existsSync(tmp.path('globbed/sub/b.jpg')));
  assert.not.ok(existsSync(tmp.path('globbed/a.jpg')));
  assert.is((await sharp(tmp.path('globbed/sub/b.jpg')).metadata()).format, 'jpeg');
  const none = await cli(['stylize', `${tmp.path('photos')}/*.webp`, '-o', tmp.path('none'), ...common()]);
  assert.is(none.code, 3);
  assert.match(none.stderr, /E_IO: No input images: the pattern '.*\*\.webp' matches no file/);
});

test('globToRegExp and splitGlob', () => {
  const matches = (pattern: string, path: string) => globToRegExp(pattern).test(path);
  assert.ok(matches('*.png', 'a.png'));
  assert.not.ok(matches('*.png', 'sub/a.png'));
  assert.ok(matches('**/*.png', 'a.png'));
  assert.ok(matches('**/*.png', 'x/y/a.png'));
  assert.not.ok(matches('**/*.png', 'x/y/a.pngx'));
  assert.ok(matches('{a,b}.png', 'b.png'));
  assert.not.ok(matches('{a,b}.png', 'c.png'));
  assert.ok(matches('[ab]?.jpg', 'a1.jpg'));
  assert.not.ok(matches('[!ab]?.jpg', 'a1.jpg'));
  assert.ok(matches('[!ab]?.jpg', 'c1.jpg'));
  assert.not.ok(matches('a.png', 'aXpng')); // `.` is literal
  assert.equal(splitGlob('photos/2024/*/x.png'), { base: 'photos/2024', rest: '*/x.png' });
  assert.equal(splitGlob('*.png'), { base: '.', rest: '*.png' });
  assert.equal(splitGlob('/*.png'), { base: '/', rest: '*.png' });
});

test('--strength 0 writes the input unchanged', async () => {
  const run = await cli(['stylize', tmp.path('photos/a.png'), '-o', tmp.path('s0.png'), '--strength', '0', ...common()]);
  assert.is(run.code, 0, run.stderr);
  assert.equal((await rgbOf(tmp.path('s0.png'))).data, (await rgbOf(tmp.path('photos/a.png'))).data);
  const bad = await cli(['stylize', tmp.path('photos/a.png'), '-o', tmp.path('s2.png'), '--strength', '2', ...common()]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--strength must be a number from 0 to 1 \(received 2\)/);
});

test('--preserve-color keeps the input chroma and the stylised luminance', async () => {
  const plain = await cli(['stylize', tmp.path('photos/a.png'), '-o', tmp.path('plain.png'), ...common()]);
  const kept = await cli(['stylize', tmp.path('photos/a.png'), '-o', tmp.path('kept.png'), '--preserve-color', ...common()]);
  assert.is(plain.code, 0, plain.stderr);
  assert.is(kept.code, 0, kept.stderr);
  const input = await rgbOf(tmp.path('photos/a.png'));
  const styled = await rgbOf(tmp.path('plain.png'));
  const out = await rgbOf(tmp.path('kept.png'));
  const y = (d: Uint8Array, p: number) => 0.299 * d[p]! + 0.587 * d[p + 1]! + 0.114 * d[p + 2]!;
  const i = (d: Uint8Array, p: number) => 0.595716 * d[p]! - 0.274453 * d[p + 1]! - 0.321263 * d[p + 2]!;
  const q = (d: Uint8Array, p: number) => 0.211456 * d[p]! - 0.522591 * d[p + 1]! + 0.311135 * d[p + 2]!;
  let checked = 0;
  for (let p = 0; p < out.data.length; p += 3) {
    const target = [input.data[p]! + y(styled.data, p) - y(input.data, p), input.data[p + 1]! + y(styled.data, p) - y(input.data, p), input.data[p + 2]! + y(styled.data, p) - y(input.data, p)];
    if (target.some((v) => v < 0 || v > 255)) continue; // clamped pixels lose chroma by design
    checked++;
    assert.ok(Math.abs(y(out.data, p) - y(styled.data, p)) <= 0.5, `Y at ${p / 3}`);
    assert.ok(Math.abs(i(out.data, p) - i(input.data, p)) < 0.6 && Math.abs(q(out.data, p) - q(input.data, p)) < 0.6, `IQ at ${p / 3}`);
  }
  assert.ok(checked >= (W * H) / 4, `only ${checked} unclamped pixels`);
});

test('stylize refuses a super-resolution model; -o must be a folder for several inputs', async () => {
  const sr = await cli(['stylize', tmp.path('photos/a.png'), '-o', tmp.path('sr.png'), '--model', tmp.path('sr.safetensors'), '--in-process', '--backend', 'cpu']);
  assert.is(sr.code, 2);
  assert.match(sr.stderr, /--model must be a style model \(`perceptual upscale` runs super-resolution models\) \(received ".*sr\.safetensors: a x2 super-resolution model"\)/);
  const file = await cli(['stylize', tmp.path('photos/a.png'), tmp.path('photos/sub/b.png'), '-o', tmp.path('photos/a.png'), ...common()]);
  assert.is(file.code, 2);
  assert.match(file.stderr, /--output must be a folder when the inputs are several/);
});

test('numTensors stays flat across repeated batch runs', async () => {
  const argv = ['stylize', tmp.path('photos/sub'), '-o', tmp.path('again'), ...common()];
  await cli(argv);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) assert.is((await cli(argv)).code, 0);
  assert.is(tf.memory().numTensors, before);
});

test.run();
