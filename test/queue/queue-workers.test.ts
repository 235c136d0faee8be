/**
 * Two `perceptual queue worker` processes against a real Redis (Debian's
 * redis-server on 127.0.0.1): every job is done once, and each output
 * equals what the direct single-process command (`stylize`, `upscale`,
 * with the same options) gives for its input, within one 8-bit level; a
 * job whose input is not an image lands in BullMQ's failed set with its
 * error after its retries.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readQueueStatus } from '../../src/queue/queue-status.js';
import { connectRedis } from '../../src/queue/redis-connection.js';
import { cli } from '../cli/helpers.js';
import { findRedisServer, listFiles, maxLevelDifference, type RedisServer, spawnWorker, startRedis, waitUntil, writeNoisePng } from './fixtures.js';

const REDIS = findRedisServer();
const GOOD = 12;
/** Each batch: its input argument(s), its options (given to `queue add` and to the direct command alike), and that command. */
const BATCHES = [
  { name: 'style', inputs: ['photos'], command: 'stylize', options: ['--model', 'wave'] },
  { name: 'opts', inputs: ['extra/e.png'], command: 'stylize', options: ['--model', 'wave', '--strength', '0.5', '--preserve-color'] },
  { name: 'sr', inputs: ['small'], command: 'upscale', options: ['--model', 'sr-x4'] },
] as const;
const JOBS = GOOD + 1 + 2;

if (REDIS === null) {
  console.log('SKIP test/queue/queue-workers.test.ts: redis-server is missing (apt-get install -y redis-server)');
} else {
  let work: string;
  let redis: RedisServer;

  test.before(async () => {
    work = await mkdtemp(join(tmpdir(), 'perceptual-queue-'));
    redis = await startRedis(REDIS, work);
    await mkdir(join(work, 'photos/sub'), { recursive: true });
    for (const folder of ['broken', 'extra', 'small']) await mkdir(join(work, folder));
    for (let i = 0; i < GOOD; i++) await writeNoisePng(join(work, i % 3 === 0 ? `photos/sub/p${i}.png` : `photos/p${i}.png`), 32, i + 1);
    await writeNoisePng(join(work, 'extra/e.png'), 32, 50);
    for (let i = 0; i < 2; i++) await writeNoisePng(join(work, `small/s${i}.png`), 16, 60 + i);
    await writeFile(join(work, 'broken/bad.png'), 'this is not an image');
  });

  test.after(async () => {
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('two worker processes do every job once, as the direct commands would; a non-image fails after its retries', async () => {
    const common = ['--redis', redis.url, '--workers', '1', '--concurrency', '2'];
    const workers = [spawnWorker(common), spawnWorker(common)];
    try {
      // The references meanwhile: one process, in-process wasm, no queue.
      for (const batch of BATCHES) {
        const inputs = batch.inputs.map((input) => join(work, input));
        const target = batch.name === 'opts' ? join(work, 'reference/opts/e.png') : join(work, `reference/${batch.name}`);
        const reference = await cli([batch.command, ...inputs, '-o', target, ...batch.options, '--in-process', '--backend', 'wasm']);
        assert.is(reference.code, 0, reference.stderr);
      }
      await Promise.all(workers.map((w) => w.waitFor(/^ready: worker /m, 60_000)));

      const retries = ['--redis', redis.url, '--attempts', '2', '--backoff', '50'];
      const added = await cli(['queue', 'add', join(work, 'photos'), join(work, 'broken/bad.png'), '-o', join(work, 'out/style'), ...BATCHES[0].options, ...retries]);
      assert.is(added.code, 0, added.stderr);
      assert.match(added.stderr, new RegExp(`queued ${GOOD + 1} stylize jobs \\(model wave\\) on 'perceptual'`));
      assert.is(added.stdout.trim().split('\n').length, GOOD + 1);
      for (const batch of BATCHES.slice(1)) {
        const more = await cli(['queue', 'add', ...batch.inputs.map((input) => join(work, input)), '-o', join(work, `out/${batch.name}`), ...batch.options, ...retries]);
        assert.is(more.code, 0, more.stderr);
      }

      const connection = await connectRedis(redis.url);
      try {
        await waitUntil(
          async () => {
            const { counts } = await readQueueStatus(connection, 'perceptual', { limit: 0 });
            return counts.completed + counts.failed === JOBS + 1;
          },
          90_000,
          () => `jobs not finished in time:\n${workers.map((w) => w.stderr()).join('\n---\n')}`,
        );
      } finally {
        connection.disconnect();
      }
      const status = await cli(['queue', 'status', '--redis', redis.url, '--json']);
      assert.is(status.code, 0, status.stderr);
      const parsed = JSON.parse(status.stdout) as {
        counts: Record<string, number>;
        workers: number;
        failed: { input: string; attemptsMade: number; error: string }[];
      };
      assert.equal(parsed.counts, { waiting: 0, active: 0, delayed: 0, completed: JOBS, failed: 1 });
      assert.is(parsed.workers, 2);
      assert.is(parsed.failed.length, 1);
      assert.is(parsed.failed[0]!.input, join(work, 'broken/bad.png'));
      assert.is(parsed.failed[0]!.attemptsMade, 2);
      assert.match(parsed.failed[0]!.error, /^E_IMAGE_DECODE: Cannot decode image '.*bad\.png'/);
      const text = await cli(['queue', 'status', '--redis', redis.url]);
      assert.match(text.stdout, new RegExp(`waiting 0 {2}active 0 {2}delayed 0 {2}completed ${JOBS} {2}failed 1\\n`));
      assert.match(text.stdout, /failed \d+ .*bad\.png after 2 tries: E_IMAGE_DECODE/);

      for (const w of workers) w.child.kill('SIGTERM');
      const exits = await Promise.all(workers.map((w) => w.exited));
      assert.equal(exits, [{ code: 0, signal: null }, { code: 0, signal: null }], workers.map((w) => w.stderr()).join('\n---\n'));
      const logs = workers.map((w) => w.stderr()).join('\n');
      assert.match(logs, /failed \d+ .*bad\.png \(try 1 of 2, will retry\): E_IMAGE_DECODE/);
      assert.match(logs, /failed \d+ .*bad\.png \(try 2 of 2, final\): E_IMAGE_DECODE/);

      // Each output written once, by one of the two, and both took part.
      const expected = await listFiles(join(work, 'reference'));
      assert.is(expected.length, JOBS);
      assert.ok(expected.includes('opts/e.png') && expected.includes('sr/s1.png') && expected.includes('style/sub/p9.png'), expected.join());
      const written = workers.map((w) => w.stdout().trim().split('\n').filter(Boolean));
      assert.equal([...written[0]!, ...written[1]!].sort(), expected.map((name) => join(work, 'out', name)).sort());
      assert.ok(written[0]!.length > 0 && written[1]!.length > 0, `jobs per worker: ${written[0]!.length}, ${written[1]!.length}`);
      // Nothing else in the output folder: no output for the bad input, no temporary file.
      assert.equal(await listFiles(join(work, 'out')), expected);
      for (const name of expected) {
        const diff = await maxLevelDifference(join(work, 'out', name), join(work, 'reference', name));
        assert.ok(diff <= 1, `${name}: ${diff} levels from the direct command`);
      }
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
  });
}

test.run();
