/**
 * The public surface of `perceptual` (src/index.ts), pinned: a name added
 * or removed shows up here, so that exporting an internal (or dropping a
 * public name) is a decision. Update test/package/public-api.json with the
 * change when it is one.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('the runtime exports of src/index.ts are exactly test/package/public-api.json', async () => {
  const api = await import('../../src/index.js');
  const expected = JSON.parse(readFileSync(new URL('./public-api.json', import.meta.url), 'utf8')) as string[];
  assert.equal(Object.keys(api).sort(), expected);
});

test('internals stay out: backend candidates and planner, metric plumbing', async () => {
  const api = (await import('../../src/index.js')) as Record<string, unknown>;
  for (const name of ['CANDIDATES', 'planBackend', 'resolveBackendRequest', 'mirrorIndex', 'channelPlane', 'metricPlanes']) assert.is(api[name], undefined, name);
});

test.run();
