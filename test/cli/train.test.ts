import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { writeSyntheticImages } from '../train/fixtures/synthetic-images.js';

const work = mkdtempSync(join(tmpdir(), 'perceptual-cli-train-'));
const darknet = fileURLToPath(new URL('../../../shared/data/darknet/darknettiny', import.meta.url));
let data = '';

test.before(async () => {
  data = await writeSyntheticImages(3, 24);
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(data, { recursive: true, force: true });
});

test('train style without --style is a usage error (exit 2) naming the option', async () => {
  const context = memoryContext();
  const code = await runCli(['train', 'style', '--backend', 'cpu', '--data', data, '--out', join(work, 'x.safetensors')], context);
  assert.is(code, 2);
  assert.match(context.err(), /options\.style \(--style\) must be the path of a style image/);
});

test('train sr on an empty folder: E_DATASET, clear message', async () => {
  const context = memoryContext();
  const code = await runCli(['train', 'sr', '--backend', 'cpu', '--data', join(work), '--out', join(work, 'y.safetensors')], context);
  assert.is.not(code, 0);
  assert.match(context.err(), /No usable images under/);
});

test('train sr with the darknettiny loss network: runs, logs, writes the model, resumes', async () => {
  if (!existsSync(darknet)) {
    console.log(`skipped: ${darknet} is absent`);
    return;
  }
  const out = join(work, 'sr.safetensors');
  const runDir = join(work, 'sr.run');
  const args = ['train', 'sr', '--backend', 'wasm', '--data', data, '--out', out, '--run-dir', runDir, '--loss-network', darknet,
    '--content-layers', 'leaky_re_lu_2', '--scale', '2', '--filters', '4', '--residual-blocks', '1', '--image-size', '16',
    '--batch-size', '1', '--iterations', '2', '--preview-every', '0'];
  const context = memoryContext();
  const code = await runCli(args, context);
  assert.is(code, 0, context.err());
  assert.is(context.out().trim(), out);
  assert.match(context.err(), /backend: wasm/);
  assert.match(context.err(), /trained on wasm: 2 steps in [\d.]+ s, [\d.]+ it\/s, [\d.]+ images\/s \(step 2\/2\)/);
  assert.match(context.err(), /step 2\/2 \| total [\d.e+-]+ feat leaky_re_lu_2 /);
  const log = (await readFile(join(runDir, 'log.jsonl'), 'utf8')).trim().split('\n');
  assert.is(log.length, 2);
  const again = memoryContext();
  assert.is(await runCli(['train', 'sr', '--backend', 'wasm', '--resume', runDir, '--iterations', '3'], again), 0, again.err());
  assert.match(again.err(), /resumed from .*checkpoint-00000002/);
  assert.is((await readFile(join(runDir, 'log.jsonl'), 'utf8')).trim().split('\n').length, 3);
});

test('train sr --upsample shuffle --degradation bicubic with pixel loss only: no loss network, options in config.json', async () => {
  const out = join(work, 'shuffle.safetensors');
  const runDir = join(work, 'shuffle.run');
  const context = memoryContext();
  const code = await runCli(['train', 'sr', '--backend', 'wasm', '--data', data, '--out', out, '--run-dir', runDir, '--upsample', 'shuffle',
    '--degradation', 'bicubic', '--pixel-weight', '1', '--content-weight', '0', '--tv-weight', '0', '--filters', '4', '--residual-blocks', '1',
    '--image-size', '16', '--batch-size', '1', '--iterations', '1', '--preview-every', '0'], context);
  assert.is(code, 0, context.err());
  const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
  assert.is(config.options.degradation, 'bicubic');
  assert.is(config.options.arch.upsample, 'shuffle');
  const bad = memoryContext();
  assert.is(await runCli(['train', 'sr', '--backend', 'cpu', '--data', data, '--out', out, '--degradation', 'gauss'], bad), 2);
  assert.match(bad.err(), /--degradation.*blur-bicubic, bicubic/);
});

test.run();
