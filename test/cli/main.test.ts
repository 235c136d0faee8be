import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../../src/cli/context.js';
import { EXIT_CODES, EXIT_KIND_BY_CODE, exitCodeFor } from '../../src/cli/errors-to-exit.js';
import { buildProgram } from '../../src/cli/main.js';
import { formatError } from '../../src/cli/output.js';
import { createProgress } from '../../src/cli/progress.js';
import { ERROR_CODES, abortError, optionRangeError, perceptualError } from '../../src/errors.js';
import { cli } from './helpers.js';

test('every error code has an exit code, and the table maps them', () => {
  for (const code of Object.keys(ERROR_CODES)) assert.ok(code in EXIT_KIND_BY_CODE, `${code} has no exit code`);
  assert.is(exitCodeFor(optionRangeError('--x', 'a number', 'y')), 2);
  assert.is(exitCodeFor(perceptualError('E_IMAGE_DECODE', 'x')), 3);
  assert.is(exitCodeFor(perceptualError('E_BACKEND_UNAVAILABLE', 'x')), 4);
  assert.is(exitCodeFor(perceptualError('E_WEIGHTS_FORMAT', 'x')), 5);
  assert.is(exitCodeFor(abortError()), 130);
  assert.is(exitCodeFor(Object.assign(new Error('x'), { code: 'ENOENT' })), 3);
  assert.is(exitCodeFor(new Error('plain')), EXIT_CODES.internal);
});

test('buildProgram registers the commands', () => {
  const names = buildProgram(memoryContext()).commands.map((c) => c.name());
  for (const name of ['doctor', 'compare', 'stylize', 'weights']) assert.ok(names.includes(name), `missing ${name}`);
});

test('--help exits 0 and documents the exit codes; every command has --backend and --verbose', async () => {
  const help = await cli(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /Exit codes:/);
  assert.match(help.stdout, /3 +file missing/);
  for (const command of ['doctor', 'compare', 'stylize']) {
    const run = await cli([command, '--help']);
    assert.is(run.code, 0);
    assert.match(run.stdout, /--backend <name>/);
    assert.match(run.stdout, /--verbose/);
  }
});

test('unknown commands and options are usage errors (exit 2)', async () => {
  const unknown = await cli(['frobnicate']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const badOption = await cli(['compare', 'a.png', 'b.png', '--content-weight', 'abc']);
  assert.is(badOption.code, 2);
  assert.match(badOption.stderr, /--content-weight.*expected a number \(received "abc"\)/);
  const badBackend = await cli(['doctor', '--backend', 'tpu']);
  assert.is(badBackend.code, 2);
  assert.match(badBackend.stderr, /options\.backend must be one of node-gpu, webgpu, node, wasm, cpu \(received "tpu"\)/);
});

test('formatError prints the code and message, the stack only when verbose', () => {
  const error = perceptualError('E_IO', 'Cannot read x. Check the path.', new Error('ENOENT: deep cause'));
  const short = formatError(error);
  assert.match(short, /^perceptual: E_IO: Cannot read x\. Check the path\.\n {2}caused by: ENOENT: deep cause\n\(run with --verbose/);
  assert.not.match(short, /\n {4}at /);
  const long = formatError(error, true);
  assert.match(long, /\n {4}at /);
});

test('progress prints plain lines at most every 10 % off a terminal', () => {
  const context = memoryContext({ isTTY: false });
  const progress = createProgress(context, { label: 'vgg16 weights', unit: 'bytes' });
  for (let received = 0; received <= 100e6; received += 1e6) progress.update(received, 100e6);
  progress.stop();
  const lines = context.err().trim().split('\n');
  assert.is(lines.length, 11);
  assert.is(lines[0], 'vgg16 weights: 0.0 MB / 100.0 MB (0%)');
  assert.is(lines[10], 'vgg16 weights: 100.0 MB / 100.0 MB (100%)');
});

test('doctor --json reports the forced backend and why', async () => {
  const run = await cli(['doctor', '--json', '--backend', 'cpu']);
  assert.is(run.code, 0, run.stderr);
  const info = JSON.parse(run.stdout) as { active: { backend: string; reason: string }; node: string; perceptual: string };
  assert.is(info.active.backend, 'cpu');
  assert.match(info.active.reason, /forced/);
  assert.is(info.node, process.version);
  assert.match(info.perceptual, /^\d+\.\d+\.\d+/);
  const text = await cli(['doctor', '--backend', 'cpu']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^perceptual \d+\.\d+\.\d+\nNode v/);
  assert.match(text.stdout, /^active: cpu \(forced/m);
  assert.match(run.stderr, /^backend: cpu \(forced\b.*\)$/m);
  assert.is(tf.getBackend(), 'cpu');
});

test.run();
