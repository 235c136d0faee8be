/**
 * `perceptual serve` in-process: starts on 127.0.0.1 port 0 with the
 * in-process pool, answers real requests, then shuts down when told to.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../../src/cli/context.js';
import { parseModelSpecs, readModelArch, serveCommand } from '../../src/cli/serve.js';
import { useBackend } from '../helpers/backends.js';
import { decode, encode, type ModelFiles, testImage, tinyModelFiles } from './fixtures.js';

let files: ModelFiles;

test.before(async () => {
  await useBackend('cpu');
  files = await tinyModelFiles();
});

test.after(async () => {
  await files.remove();
});

test('serve prints the URL, serves the models, and stops gracefully', async () => {
  const context = memoryContext();
  const seen: { health?: unknown; models?: unknown; size?: [number, number] } = {};
  const command = serveCommand(context, {
    waitForStop: async (url) => {
      seen.health = await (await fetch(`${url}/healthz`)).json();
      seen.models = await (await fetch(`${url}/v1/models`)).json();
      const response = await fetch(`${url}/v1/upscale/x2`, { method: 'POST', body: await encode(testImage(10, 6)), headers: { 'Content-Type': 'image/png' } });
      const image = await decode(new Uint8Array(await response.arrayBuffer()));
      seen.size = [image.width, image.height];
    },
  });
  command.exitOverride();
  await command.parseAsync(['--model', `wave=${files.style}`, '--model', `x2=${files.sr}`, '--port', '0', '--in-process', '--backend', 'cpu'], { from: 'user' });
  assert.is(context.exitCode, 0, context.err());
  assert.match(context.out(), /^http:\/\/127\.0\.0\.1:\d+\n$/);
  assert.match(context.err(), /model x2: sr x2, POST http:\/\/127\.0\.0\.1:\d+\/v1\/upscale\/x2/);
  assert.match(context.err(), /stopped/);
  assert.equal(seen.health, { status: 'ok', models: 2, inFlight: 0 });
  const models = seen.models as { name: string; task: string; scale: number; arch: { width?: number } }[];
  assert.equal(models.map((m) => [m.name, m.task, m.scale]), [['wave', 'style', 1], ['x2', 'sr', 2]]);
  assert.is(models[0]!.arch.width, 0.25);
  assert.equal(seen.size, [20, 12]);
});

test('serve rejects bad --model values with the exit code for usage errors', async () => {
  assert.throws(() => parseModelSpecs(['../etc=x.safetensors']), /--model must be a NAME of letters/);
  assert.throws(() => parseModelSpecs(['a=x', 'a=y']), /--model must be a different NAME for each model \(received "a"\)/);
  assert.throws(() => parseModelSpecs(['no/equals']), /--model must be NAME=FILE/);
  assert.throws(() => parseModelSpecs(['=x.safetensors']), /--model must be NAME=FILE/);
  const context = memoryContext();
  const command = serveCommand(context, { waitForStop: async () => undefined });
  command.exitOverride();
  await command.parseAsync(['--model', 'wave=/nonexistent/model.safetensors', '--port', '0', '--in-process', '--backend', 'cpu'], { from: 'user' });
  assert.is(context.exitCode, 3);
  assert.match(context.err(), /E_IO: Cannot open the model \/nonexistent\/model\.safetensors/);
  assert.is(await readModelArch(files.style).then((arch) => (arch as { task: string }).task), 'style');
});

test('readModelArch fills the fields a model file predates: a bundled style model written before the kernel sizes reads as 9x9', async () => {
  const path = fileURLToPath(new URL('../../models/candy.safetensors', import.meta.url));
  const bytes = await readFile(path);
  const header = bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8');
  const raw = JSON.parse(JSON.parse(header).__metadata__.arch) as Record<string, unknown>;
  assert.ok(!('c1Kernel' in raw), 'the file has no kernel sizes, so this test reads the defaulting path');
  assert.equal(await readModelArch(path), { ...raw, c1Kernel: 9, outKernel: 9 });
});

test.run();
