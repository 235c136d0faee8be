import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { resumeConflicts } from '../../src/train/resume-options.js';
import { writeRunConfig } from '../../src/train/run-dir.js';
import { resumeTraining } from '../../src/train/train.js';
import { resolveTrainOptions, type ResolvedTrainOptions } from '../../src/train/train-options.js';

const work = mkdtempSync(join(tmpdir(), 'perceptual-resume-options-'));

const saved: ResolvedTrainOptions = resolveTrainOptions({
  task: 'style', data: ['photos'], out: 'wave.safetensors', style: 'wave.png', imageSize: 16, batchSize: 2, iterations: 8, lr: 0.01,
  arch: { width: 0.125, residualBlocks: 1 }, loss: { contentLayers: ['relu2_2'], styleWeight: 50 },
});

/** A run directory holding `saved` and a checkpoint at `step` (its tensors are never read: the checks come first). */
async function runDirAt(name: string, step: number): Promise<string> {
  const dir = join(work, name);
  await writeRunConfig(dir, saved);
  await saveCheckpoint(dir, { step, adamIterations: step, dataset: { seed: 0, position: 2 * step }, params: {}, adamM: {}, adamV: {} }, 3);
  return dir;
}

test.after(() => rm(work, { recursive: true, force: true }));

test('resumeConflicts: each differing option with its flag; equal values, repeated defaults and iterations pass', () => {
  assert.equal(resumeConflicts(saved, { task: 'style', imageSize: 16, batchSize: 2, lr: 0.01, iterations: 100, dtype: 'F16', arch: { upsample: 'resize' }, loss: { tvWeight: 1e-2 } }), []);
  const conflicts = resumeConflicts(saved, {
    task: 'sr', imageSize: 32, lr: 0.5, flip: false, lossWeights: 'vgg.h5', arch: { width: 1 }, loss: { contentWeight: 2, styleLayerWeights: { relu1_2: 3 } },
  });
  assert.equal(conflicts.map((c) => [c.option, c.flag, c.saved, c.given]), [
    ['task', 'the task (train style|sr|distill)', 'style', 'sr'],
    ['imageSize', '--image-size', 16, 32],
    ['lr', '--lr', 0.01, 0.5],
    ['flip', '--no-flip', true, false],
    ['lossWeights', '--weights', null, 'vgg.h5'],
    ['arch.width', '--width', 0.125, 1],
    ['loss.contentWeight', '--content-weight', 1, 2],
    ['loss.styleLayerWeights', '--layer-weights', { relu1_2: 1, relu2_2: 1, relu3_3: 1, relu4_3: 1 }, { relu1_2: 3, relu2_2: 1, relu3_3: 1, relu4_3: 1 }],
  ]);
});

test('resumeTraining refuses changed options, naming each flag, before touching config.json', async () => {
  const dir = await runDirAt('changed', 5);
  const before = await readFile(join(dir, 'config.json'), 'utf8');
  try {
    await resumeTraining(dir, { imageSize: 32, batchSize: 2, lr: 0.5, iterations: 20 });
    assert.unreachable('should throw');
  } catch (error) {
    assert.instance(error, RangeError);
    assert.is((error as { code?: string }).code, 'E_OPTIONS');
    const message = (error as Error).message;
    assert.match(message, /the options given with --resume .*changed must be those of its config\.json \(--image-size is 32 but the run has 16; --lr is 0\.5 but the run has 0\.01\); only --iterations may change on resume\. Leave --image-size, --lr out/);
    assert.not.match(message, /--batch-size/);
  }
  assert.is(await readFile(join(dir, 'config.json'), 'utf8'), before);
});

test('resumeTraining refuses --iterations below the step reached, naming it', async () => {
  const dir = await runDirAt('short', 5);
  try {
    await resumeTraining(dir, { iterations: 3 });
    assert.unreachable('should throw');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_OPTIONS');
    assert.match((error as Error).message, /options\.iterations \(--iterations\) must be at least 5, the step the run in .*short has reached \(its newest checkpoint\); pass --iterations 5 or more to continue it \(received 3\)/);
  }
  assert.is(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).options.iterations, 8, 'config.json keeps its iterations');
});

test.run();
