/**
 * The queue's job layout as a worker checks it (data from Redis is any JSON
 * some producer wrote), and the Redis URL handling; no Redis needed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IMAGE_JOB_VERSION, jobNameOf, parseImageJob } from '../../src/queue/image-job.js';
import { connectRedis, redactRedisUrl } from '../../src/queue/redis-connection.js';

const good = { version: IMAGE_JOB_VERSION, task: 'style', input: '/data/in/a.jpg', output: '/data/out/a.jpg', format: 'jpeg', quality: 90, model: 'wave', strength: 0.5 };

test('a well-formed job passes unchanged', () => {
  assert.equal(parseImageJob(good), good);
  assert.equal(parseImageJob({ ...good, task: 'sr', strength: undefined, input: 'C:\\in\\a.png', tile: 128, overlap: 0 }), { ...good, task: 'sr', strength: undefined, input: 'C:\\in\\a.png', tile: 128, overlap: 0 });
  assert.is(jobNameOf('style'), 'stylize');
  assert.is(jobNameOf('sr'), 'upscale');
});

test('each bad field is refused by name, with E_OPTIONS', () => {
  const refused = (data: unknown, pattern: RegExp): void => {
    let error: unknown;
    try {
      parseImageJob(data);
    } catch (caught) {
      error = caught;
    }
    assert.instance(error, Error);
    assert.is((error as { code?: string }).code, 'E_OPTIONS');
    assert.match((error as Error).message, pattern);
  };
  refused(null, /^job\.data must be an object \(received null\)/);
  refused({ ...good, version: 2 }, /^job\.data\.version must be 1 .*\(received 2\)/);
  refused({ ...good, task: 'paint' }, /^job\.data\.task must be "style" or "sr"/);
  refused({ ...good, input: 'relative/a.jpg' }, /^job\.data\.input must be an absolute path/);
  refused({ ...good, output: good.input }, /^job\.data\.output must be a different path from the input/);
  refused({ ...good, format: 'gif' }, /^job\.data\.format must be one of png, jpeg, webp/);
  refused({ ...good, quality: 0 }, /^job\.data\.quality must be an integer from 1 to 100/);
  refused({ ...good, model: '' }, /^job\.data\.model must be a bundled model name or a model path/);
  refused({ ...good, strength: 1.5 }, /^job\.data\.strength must be a number from 0 to 1 \(received 1\.5\)/);
  refused({ ...good, preserveColor: 'yes' }, /^job\.data\.preserveColor must be a boolean/);
  refused({ ...good, task: 'sr' }, /^job\.data must be without strength or preserveColor for a super-resolution job/);
  refused({ ...good, tile: 0 }, /^job\.data\.tile must be an integer >= 1 \(received 0\)/);
  refused({ ...good, overlap: -1 }, /^job\.data\.overlap must be an integer >= 0/);
});

test('Redis URLs: the password never shows; a non-Redis URL is refused before connecting; an unreachable Redis is E_IO', async () => {
  assert.is(redactRedisUrl('redis://user:secret@cache:6380/2'), 'redis://user:***@cache:6380/2');
  assert.is(redactRedisUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  await connectRedis('http://127.0.0.1:6379').then(
    () => assert.unreachable('connected'),
    (error: { code?: string; message: string }) => {
      assert.is(error.code, 'E_OPTIONS');
      assert.match(error.message, /^--redis must be a redis:\/\/ or rediss:\/\/ URL/);
    },
  );
  // Port 1 on localhost: nothing listens there.
  await connectRedis('redis://:hunter2@127.0.0.1:1', { connectTimeoutMs: 3000 }).then(
    () => assert.unreachable('connected'),
    (error: { code?: string; message: string }) => {
      assert.is(error.code, 'E_IO');
      assert.match(error.message, /^Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED.*Start Redis or check --redis\.$/);
      assert.not.match(error.message, /hunter2/);
    },
  );
});

test.run();
