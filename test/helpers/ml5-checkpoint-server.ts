/**
 * A synthetic ml5 style-transfer checkpoint (every variable of the real
 * layout, small random values) as a map of files, and a node:http server
 * for such maps, so the URL paths (fetchMl5Checkpoint, the browser worker,
 * the example page) can be tested without the real checkpoint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { styleParamSpecs } from '../../src/networks/style-network.js';
import { ML5_STYLE_ARCH, ML5_VARIABLE_ROLES, ml5VariableName } from '../../src/weights/read-ml5-checkpoint.js';
import { lcgValues } from '../networks/layers-reference.js';

/** A checkpoint: `files` by name (manifest.json and Variable...), and each role's values. */
export interface Ml5Files {
  readonly files: Map<string, Uint8Array>;
  readonly values: ReadonlyMap<string, Float32Array>;
}

/**
 * The 48 variables with shapes from the arch's param specs; kernels in
 * [-0.05, 0.05], IN shifts near 0 and scales in [0.5, 1.5], as trained ones.
 */
export function syntheticMl5Checkpoint(seed = 1): Ml5Files {
  const shapes = new Map(styleParamSpecs(ML5_STYLE_ARCH).map((spec) => [spec.name, spec.shape]));
  const files = new Map<string, Uint8Array>();
  const values = new Map<string, Float32Array>();
  const manifest: Record<string, { filename: string; shape: readonly number[] }> = {};
  ML5_VARIABLE_ROLES.forEach((role, index) => {
    const shape = shapes.get(role)!;
    const count = shape.reduce((a, b) => a * b, 1);
    const data = role.endsWith('.gamma') ? lcgValues(count, seed * 100 + index, 0.5, 1.5) : lcgValues(count, seed * 100 + index, -0.05, 0.05);
    const name = ml5VariableName(index);
    manifest[name] = { filename: name, shape };
    files.set(name, new Uint8Array(data.buffer.slice(0)));
    values.set(role, data);
  });
  files.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
  return { files, values };
}

/** Serves `routes` (URL path -> body) on 127.0.0.1, 404 otherwise, with CORS open; counts requests. */
export async function serveFiles(routes: Map<string, Uint8Array>): Promise<{ base: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    const body = routes.get(path);
    if (body === undefined) response.writeHead(404, { 'access-control-allow-origin': '*' }).end();
    else response.writeHead(200, { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `files` under the URL folder `prefix` (`/ckpt/` gives `/ckpt/manifest.json` ...). */
export function underPrefix(files: Map<string, Uint8Array>, prefix: string): Map<string, Uint8Array> {
  return new Map([...files].map(([name, body]) => [`${prefix}${name}`, body]));
}
