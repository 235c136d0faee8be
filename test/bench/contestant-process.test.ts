/**
 * Contestants in their own processes (bench/contestant-process.ts), with a
 * real forked child (test/bench/counting-contestant.ts): setup is awaited,
 * turns are timed in the child, errors come back as the parent's errors,
 * and a crashed child fails its turn instead of hanging the run.
 */
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startProcessContestant } from '../../bench/contestant-process.js';
import { interleave } from '../../bench/interleave.js';
import { rejection } from '../helpers/option-errors.js';

const CHILD = fileURLToPath(new URL('./counting-contestant.ts', import.meta.url));

test('a forked contestant is ready with its details, times its turns and reports its peak RSS on close', async () => {
  const contestant = await startProcessContestant('counter', CHILD, ['--sleep-ms', '40']);
  try {
    assert.is(contestant.details.sleepMs, 40);
    assert.ok(typeof contestant.details.pid === 'number' && contestant.details.pid !== process.pid, 'runs in another process');
    const first = await contestant.run();
    const second = await contestant.run();
    assert.equal([first.check, second.check], [0, 1]);
    assert.equal(second.extras, { doubled: 2 });
    // The child timed a 40 ms sleep (timers may fire a little early, never much).
    assert.ok(first.ms >= 35 && first.ms < 5000, `ms ${first.ms}`);
    assert.is(contestant.maxRssMb(), undefined);
  } finally {
    await contestant.close();
  }
  assert.ok((contestant.maxRssMb() ?? 0) > 10, `peak RSS ${contestant.maxRssMb()} MB`);
  // Closing twice is harmless.
  await contestant.close();
});

test('a setup error rejects the start with its first line', async () => {
  const error = await rejection(() => startProcessContestant('broken', CHILD, ['--fail-setup']));
  assert.is(error.message, 'no model here');
});

test('a turn that throws, and a child that dies, fail that contestant in interleave; the others finish', async () => {
  const contestants = [
    await startProcessContestant('steady', CHILD, []),
    await startProcessContestant('thrower', CHILD, ['--throw-at', '1']),
    await startProcessContestant('crasher', CHILD, ['--crash-at', '0']),
  ];
  try {
    const result = await interleave(contestants, { rounds: 3 });
    assert.equal(result.samples.get('steady')!.map((s) => s.check), [0, 1, 2]);
    assert.equal(result.samples.get('thrower')!.map((s) => s.check), [0]);
    assert.is(result.samples.get('crasher')!.length, 0);
    assert.is(result.failures.get('thrower'), 'turn 1 failed');
    assert.match(result.failures.get('crasher')!, /^crasher: the contestant process exited \(code 3\)/);
  } finally {
    for (const c of contestants) await c.close();
  }
});

test.run();
