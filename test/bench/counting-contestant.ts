/**
 * A child for test/bench/contestant-process.test.ts: serves a contestant
 * whose turns sleep `--sleep-ms` and return the turn number as the check
 * value. `--fail-setup` fails while loading, `--crash-at N` exits the
 * process in turn N, `--throw-at N` throws in turn N.
 */
import { serveContestant } from '../../bench/contestant-process.js';

const value = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};

await serveContestant(async () => {
  if (process.argv.includes('--fail-setup')) throw new Error('no model here\nat some frame');
  let turn = 0;
  return {
    details: { pid: process.pid, sleepMs: value('sleep-ms') ?? 0 },
    async run() {
      const now = turn++;
      if (now === value('crash-at')) process.exit(3);
      if (now === value('throw-at')) throw new Error(`turn ${now} failed`);
      await new Promise((resolve) => setTimeout(resolve, value('sleep-ms') ?? 0));
      return { check: now, extras: { doubled: 2 * now } };
    },
  };
});
