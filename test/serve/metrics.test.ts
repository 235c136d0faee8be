/**
 * GET /metrics: Prometheus text whose counters follow the requests made (by
 * route, model and status), whose latency histogram is cumulative with
 * +Inf = count, with each pool's gauges, and with no series for model names
 * that are not registered.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createService, type Service } from '../../src/serve/handler.js';
import { sharpCodec } from '../../src/serve/image-codec.node.js';
import { createInProcessPool } from '../../src/serve/in-process-pool.js';
import { LATENCY_BUCKETS } from '../../src/serve/service-metrics.js';
import { useBackend } from '../helpers/backends.js';
import { encode, failingPool, type ModelFiles, testImage, tinyModelFiles } from './fixtures.js';

let files: ModelFiles;
let service: Service;
const BASE = 'http://service.test';

test.before(async () => {
  await useBackend('cpu');
  files = await tinyModelFiles();
  service = createService({
    models: [
      { name: 'wave', pool: await createInProcessPool({ model: files.style }) },
      { name: 'broken', pool: failingPool(new Error('boom')) },
    ],
    codec: sharpCodec,
  });
});

test.after(async () => {
  await service.close();
  await files.remove();
});

/** The value of the one sample whose name and labels are given (null when absent). */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

test('counters, histogram and gauges follow the requests', async () => {
  const png = await encode(testImage(16, 12));
  const post = (name: string) => service.fetch(new Request(`${BASE}/v1/stylize/${name}`, { method: 'POST', body: png, headers: { 'Content-Type': 'image/png' } }));
  assert.is((await post('wave')).status, 200);
  assert.is((await post('wave')).status, 200);
  assert.is((await post('broken')).status, 500);
  assert.is((await post('made-up-name')).status, 404);
  assert.is((await service.fetch(new Request(`${BASE}/healthz`))).status, 200);
  const response = await service.fetch(new Request(`${BASE}/metrics`));
  assert.is(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.is(sample(text, 'perceptual_requests_total{route="stylize",model="wave",status="200"}'), 2);
  assert.is(sample(text, 'perceptual_requests_total{route="stylize",model="broken",status="500"}'), 1);
  assert.is(sample(text, 'perceptual_requests_total{route="stylize",model="unknown",status="404"}'), 1);
  assert.is(sample(text, 'perceptual_requests_total{route="healthz",model="",status="200"}'), 1);
  assert.not.match(text, /made-up-name/);
  const series = 'route="stylize",model="wave"';
  const counts = [...LATENCY_BUCKETS.map(String), '+Inf'].map((le) => sample(text, `perceptual_request_duration_seconds_bucket{${series},le="${le}"}`)!);
  assert.ok(counts.every((c, i) => i === 0 || c >= counts[i - 1]!), `cumulative buckets ${counts}`);
  assert.is(counts[counts.length - 1], 2);
  assert.is(sample(text, `perceptual_request_duration_seconds_count{${series}}`), 2);
  assert.ok(sample(text, `perceptual_request_duration_seconds_sum{${series}}`)! > 0);
  assert.is(sample(text, 'perceptual_queue_depth{model="wave"}'), 0);
  assert.is(sample(text, 'perceptual_workers{model="wave"}'), 1);
  assert.is(sample(text, 'perceptual_worker_restarts_total{model="wave"}'), 0);
  assert.match(text, /^# TYPE perceptual_request_duration_seconds histogram$/m);
});

test.run();
