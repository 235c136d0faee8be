/**
 * @file `GET /metrics` in the Prometheus text exposition format (version
 * 0.0.4): requests by route, model and status, a latency histogram of image
 * requests, and each model pool's queue depth, running jobs and worker
 * restarts. Counters live in this process; a scraper sums over instances.
 * No `node:` imports (edge runtimes serve it too).
 */
import type { InferencePool } from './pool-types.js';

/** Upper bounds (seconds) of the latency histogram: a small image on a warm pool to a 4K image on one core. */
export const LATENCY_BUCKETS = Object.freeze([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]);

export interface ServiceMetrics {
  /** Counts one answered request; `seconds` only for image requests (the histogram's subject). */
  observe(route: string, model: string, status: number, seconds?: number): void;
  /** The exposition text for the current counters and the pools' gauges. */
  render(pools: ReadonlyMap<string, InferencePool>): string;
}

export function createServiceMetrics(): ServiceMetrics {
  const requests = new Map<string, number>();
  const buckets = new Map<string, number[]>();
  const sums = new Map<string, { sum: number; count: number }>();
  return {
    observe(route, model, status, seconds) {
      const key = labels({ route, model, status: String(status) });
      requests.set(key, (requests.get(key) ?? 0) + 1);
      if (seconds === undefined) return;
      const series = labels({ route, model });
      const counts = buckets.get(series) ?? LATENCY_BUCKETS.map(() => 0);
      LATENCY_BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) counts[i]! += 1;
      });
      buckets.set(series, counts);
      const total = sums.get(series) ?? { sum: 0, count: 0 };
      sums.set(series, { sum: total.sum + seconds, count: total.count + 1 });
    },
    render(pools) {
      const lines: string[] = [];
      lines.push('# HELP perceptual_requests_total HTTP requests answered, by route, model and status.', '# TYPE perceptual_requests_total counter');
      for (const [key, value] of requests) lines.push(`perceptual_requests_total{${key}} ${value}`);
      lines.push('# HELP perceptual_request_duration_seconds Time to answer an image request.', '# TYPE perceptual_request_duration_seconds histogram');
      for (const [series, counts] of buckets) {
        LATENCY_BUCKETS.forEach((bound, i) => lines.push(`perceptual_request_duration_seconds_bucket{${series},le="${bound}"} ${counts[i]}`));
        const { sum, count } = sums.get(series)!;
        lines.push(`perceptual_request_duration_seconds_bucket{${series},le="+Inf"} ${count}`);
        lines.push(`perceptual_request_duration_seconds_sum{${series}} ${sum}`, `perceptual_request_duration_seconds_count{${series}} ${count}`);
      }
      const gauges = [
        ['perceptual_queue_depth', 'Jobs waiting for a worker.', 'queued'],
        ['perceptual_jobs_running', 'Jobs running now.', 'running'],
        ['perceptual_workers', 'Live worker threads.', 'workers'],
      ] as const;
      for (const [name, help, field] of gauges) {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
        for (const [model, pool] of pools) lines.push(`${name}{${labels({ model })}} ${pool.stats[field]}`);
      }
      lines.push('# HELP perceptual_worker_restarts_total Workers replaced (crashes, and heaps retired after a large statistics pass).', '# TYPE perceptual_worker_restarts_total counter');
      for (const [model, pool] of pools) lines.push(`perceptual_worker_restarts_total{${labels({ model })}} ${pool.stats.restarts}`);
      return `${lines.join('\n')}\n`;
    },
  };
}

/** `a="x",b="y"` with the exposition format's escapes. */
function labels(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}
