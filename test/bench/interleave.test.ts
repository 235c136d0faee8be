/**
 * The benchmarks' interleaving (bench/interleave.ts): every contestant once
 * per round, the order rotated each round, warm-up rounds not recorded, a
 * failing contestant dropped while the others go on, and same-round ratios
 * taken round by round. Contestants here report a scripted time, so every
 * expected figure is written out by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejection } from '../helpers/option-errors.js';
import { type Contestant, formatRatio, interleave, roundOrder, sameRoundRatios, summarize } from '../../bench/interleave.js';

/** A contestant whose n-th call reports `times[n]` ms and logs its name to `log`. */
function scripted(name: string, times: readonly number[], log: string[], failAt?: number): Contestant {
  let calls = 0;
  return {
    name,
    async run() {
      const call = calls++;
      log.push(name);
      if (call === failAt) throw new Error(`${name} broke\nstack line`);
      return { ms: times[call]!, check: call };
    },
    async close() {},
  };
}

test('roundOrder rotates left by the round, wrapping around', () => {
  assert.equal(roundOrder(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.equal(roundOrder(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.equal(roundOrder(['a', 'b', 'c'], 2), ['c', 'a', 'b']);
  assert.equal(roundOrder(['a', 'b', 'c'], 4), ['b', 'c', 'a']);
  assert.equal(roundOrder(['a', 'b', 'c'], -1), ['c', 'a', 'b']);
  assert.equal(roundOrder([], 3), []);
});

test('each round runs every contestant once in rotated order; warm-up rounds are not recorded', async () => {
  const log: string[] = [];
  // Call 0 of each is the warm-up round (round -1), so its time (999) must not appear.
  const result = await interleave(
    [scripted('a', [999, 10, 20, 30], log), scripted('b', [999, 40, 50, 60], log), scripted('c', [999, 70, 80, 90], log)],
    { rounds: 3, warmupRounds: 1 },
  );
  // Round -1 starts at rotation -1 (c first), then rounds 0, 1, 2.
  assert.equal(log, ['c', 'a', 'b', 'a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
  assert.equal(result.orders, [['a', 'b', 'c'], ['b', 'c', 'a'], ['c', 'a', 'b']]);
  assert.equal(result.samples.get('a')!.map((s) => s.ms), [10, 20, 30]);
  assert.equal(result.samples.get('c')!.map((s) => s.check), [1, 2, 3]);
  assert.is(result.failures.size, 0);
});

test('same-round ratios pair the rounds; the summary gives their median and range next to the ratio of medians', async () => {
  const log: string[] = [];
  // The host slows down 3x in round 2: the same-round ratios stay 2, 2, 2.5 while the medians mix rounds.
  const result = await interleave([scripted('base', [100, 100, 300], log), scripted('peer', [200, 200, 750], log)], { rounds: 3 });
  assert.equal(sameRoundRatios(result, 'peer', 'base'), [2, 2, 2.5]);
  assert.equal(sameRoundRatios(result, 'base', 'peer'), [0.5, 0.5, 0.4]);
  const [base, peer] = summarize(result, 'base');
  assert.is(base!.medianMs, 100);
  assert.is(base!.vsBase, undefined);
  assert.is(peer!.medianMs, 200);
  assert.equal(peer!.vsBase, { sameRound: 2, min: 2, max: 2.5, ofMedians: 2 });
  assert.is(peer!.check, 2);
  assert.is(formatRatio(peer!.vsBase), '2.00 (2.00-2.50)');
  assert.is(formatRatio(undefined), '-');
});

test('a contestant that throws is recorded with its first line and left out of later rounds; the others go on', async () => {
  const log: string[] = [];
  const result = await interleave([scripted('ok', [1, 2, 3], log), scripted('flaky', [5, 6, 7], log, 1)], { rounds: 3 });
  assert.equal(log, ['ok', 'flaky', 'flaky', 'ok', 'ok']);
  assert.equal(result.failures, new Map([['flaky', 'flaky broke']]));
  assert.equal(result.samples.get('flaky')!.map((s) => s.ms), [5]);
  assert.equal(result.samples.get('ok')!.map((s) => s.ms), [1, 2, 3]);
  assert.equal(result.orders, [['ok', 'flaky'], ['flaky', 'ok'], ['ok']]);
  // Only round 0 has both.
  assert.equal(sameRoundRatios(result, 'flaky', 'ok'), [5]);
  assert.is(summarize(result).find((s) => s.name === 'flaky')!.failure, 'flaky broke');
});

test('settleMs pauses between turns, outside the timed work', async () => {
  const log: string[] = [];
  const start = performance.now();
  const result = await interleave([scripted('a', [1, 1], log), scripted('b', [1, 1], log)], { rounds: 2, settleMs: 30 });
  assert.ok(performance.now() - start >= 4 * 30 - 5, 'four turns, each after a 30 ms pause');
  assert.equal(result.samples.get('a')!.map((s) => s.ms), [1, 1]);
});

test('rejects duplicate names and a round count that is not a positive integer', async () => {
  const log: string[] = [];
  assert.match((await rejection(() => interleave([scripted('x', [1], log), scripted('x', [1], log)], { rounds: 1 }))).message, /names must differ: x, x/);
  assert.match((await rejection(() => interleave([scripted('x', [1], log)], { rounds: 0 }))).message, /positive integer, got 0/);
  assert.match((await rejection(() => interleave([scripted('x', [1], log)], { rounds: 1.5 }))).message, /positive integer, got 1.5/);
  assert.equal(log, []);
});

test.run();
