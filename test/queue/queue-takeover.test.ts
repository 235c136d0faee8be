/**
 * A `perceptual queue worker` killed with SIGKILL in the middle of a job
 * loses nothing: the job's lock lapses, a second worker's stalled-job check
 * puts it back in the queue and runs it, and every output ends up written
 * once and equal to a direct `stylize` (within one 8-bit level). Against a
 * real Redis (Debian's redis-server on 127.0.0.1).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readQueueStatus } from '../../src/queue/queue-status.js';
import { connectRedis } from '../../src/queue/redis-connection.js';
import { cli } from '../cli/helpers.js';
import { findRedisServer, listFiles, maxLevelDifference, type RedisServer, spawnWorker, startRedis, waitUntil, writeNoisePng } from './fixtures.js';

const REDIS = findRedisServer();
const SMALL = 4;
/** Whole-image inference of this size takes over a second on one wasm thread: time to kill the worker mid-job. */
const BIG = 512;

if (REDIS === null) {
  console.log('SKIP test/queue/queue-takeover.test.ts: redis-server is missing (apt-get install -y redis-server)');
} else {
  let work: string;
  let redis: RedisServer;

  test.before(async () => {
    work = await mkdtemp(join(tmpdir(), 'perceptual-queue-kill-'));
    redis = await startRedis(REDIS, work);
    await mkdir(join(work, 'photos'));
    await writeNoisePng(join(work, 'photos/big.png'), BIG, 99);
    for (let i = 0; i < SMALL; i++) await writeNoisePng(join(work, `photos/s${i}.png`), 32, i + 1);
  });

  test.after(async () => {
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a worker killed with SIGKILL mid-job: another worker takes the job over, nothing is lost', async () => {
    // Short locks so that the dead worker's job comes back within seconds (BullMQ's default is 30 s),
    // yet long enough for a busy machine to renew them in time.
    const locks = ['--lock-duration', '5000', '--stalled-interval', '1000'];
    const doomed = spawnWorker(['--redis', redis.url, '--workers', '1', '--concurrency', '1', ...locks]);
    let survivor: ReturnType<typeof spawnWorker> | undefined;
    const connection = await connectRedis(redis.url);
    try {
      const reference = await cli(['stylize', join(work, 'photos'), '-o', join(work, 'reference'), '--model', 'wave', '--in-process', '--backend', 'wasm']);
      assert.is(reference.code, 0, reference.stderr);
      await doomed.waitFor(/^ready: worker (\S+) /m, 60_000);
      const name = /^ready: worker (\S+) /m.exec(doomed.stderr())![1]!;

      // big.png is the first job, and the only worker takes it.
      const added = await cli(['queue', 'add', join(work, 'photos/big.png'), join(work, 'photos'), '-o', join(work, 'out'), '--model', 'wave', '--redis', redis.url]);
      assert.is(added.code, 0, added.stderr);
      const bigId = added.stdout.split('\n')[0]!.split('\t')[0]!;
      await waitUntil(
        async () => (await readQueueStatus(connection, 'perceptual')).active.some((job) => job.id === bigId && job.worker === name),
        60_000,
        () => `the first worker never started the big job:\n${doomed.stderr()}`,
      );
      doomed.child.kill('SIGKILL');
      assert.equal(await doomed.exited, { code: null, signal: 'SIGKILL' });
      assert.not.ok(existsSync(join(work, 'out/big.png')), 'the big job finished before the kill: the test did not kill it mid-job');
      assert.is((await readQueueStatus(connection, 'perceptual')).active.length, 1, 'the dead worker\'s job is still claimed by it');

      survivor = spawnWorker(['--redis', redis.url, '--workers', '1', '--concurrency', '2', ...locks]);
      await survivor.waitFor(/^ready: worker /m, 60_000);
      await waitUntil(
        async () => (await readQueueStatus(connection, 'perceptual', { limit: 0 })).counts.completed === SMALL + 1,
        90_000,
        () => `not every job completed:\n${survivor!.stderr()}`,
      );
      const status = await readQueueStatus(connection, 'perceptual', { limit: 0 });
      assert.equal(status.counts, { waiting: 0, active: 0, delayed: 0, completed: SMALL + 1, failed: 0 });
      survivor.child.kill('SIGTERM');
      assert.equal(await survivor.exited, { code: 0, signal: null }, survivor.stderr());
      assert.match(survivor.stderr(), new RegExp(`^requeued ${bigId}: its worker stopped renewing its lock`, 'm'));
      assert.match(survivor.stderr(), new RegExp(`^done ${bigId}: .*big\\.png -> .*big\\.png \\(${BIG}x${BIG}`, 'm'));

      const { Queue } = await import('bullmq');
      const queue = new Queue('perceptual', { connection });
      const big = await queue.getJob(bigId);
      await queue.close();
      assert.is(big?.stalledCounter, 1);
      assert.is(big?.processedBy, /^ready: worker (\S+) /m.exec(survivor.stderr())![1]);

      const expected = await listFiles(join(work, 'reference'));
      assert.is(expected.length, SMALL + 1);
      assert.equal(survivor.stdout().trim().split('\n').sort(), expected.map((file) => join(work, 'out', file)));
      assert.equal(await listFiles(join(work, 'out')), expected);
      for (const file of expected) {
        const diff = await maxLevelDifference(join(work, 'out', file), join(work, 'reference', file));
        assert.ok(diff <= 1, `${file}: ${diff} levels from the direct stylize`);
      }
    } finally {
      connection.disconnect();
      for (const w of [doomed, survivor]) if (w && w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    }
  });
}

test.run();
