import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BROWSER_CANDIDATES, normaliseWasmPath } from '../../src/runtime/candidates.browser.js';
import { resolveBrowserBackendRequest, selectBrowserBackend } from '../../src/runtime/select-backend.browser.js';

test('the browser order is webgpu, wasm, then cpu; a forced backend is tried alone', () => {
  assert.equal(resolveBrowserBackendRequest({}).order, ['webgpu', 'wasm', 'cpu']);
  assert.equal(resolveBrowserBackendRequest({ backend: 'cpu' }), { order: ['cpu'], forced: true });
});

test('backends a browser cannot load and bad options are E_OPTIONS errors naming the option', () => {
  assert.throws(() => resolveBrowserBackendRequest({ backend: 'node' }), (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'E_OPTIONS' && /options\.backend must be one of webgpu, wasm, cpu in a browser \(received "node"\)/.test(e.message));
  assert.throws(() => resolveBrowserBackendRequest({ wasmPath: 3 as unknown as string }), /options\.wasmPath must be a URL prefix string/);
});

test('wasm is unavailable without a wasmPath, and says how to fix it', () => {
  const probe = BROWSER_CANDIDATES.wasm!.probe({});
  assert.is(probe.available, false);
  assert.match(probe.reason, /no wasmPath given/);
  assert.is(BROWSER_CANDIDATES.wasm!.probe({ wasmPath: '/wasm/' }).available, true);
  assert.is(normaliseWasmPath('/static/wasm'), '/static/wasm/');
  assert.is(normaliseWasmPath('https://x.test/w/'), 'https://x.test/w/');
});

test('without a wasmPath selection falls back to cpu and records why', async () => {
  const runtime = await selectBrowserBackend({});
  assert.is(runtime.backend, 'cpu');
  assert.equal(runtime.rejected.map((r) => r.backend), ['webgpu', 'wasm']);
  assert.match(runtime.rejected[0]!.reason, /navigator\.gpu is missing/);
  assert.match(runtime.reason, /best that loaded for infer: cpu \(order webgpu > wasm > cpu; webgpu, wasm unavailable\)/);
});

test.run();
