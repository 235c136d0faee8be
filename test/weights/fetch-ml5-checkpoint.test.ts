/**
 * fetchMl5Checkpoint: an ml5 checkpoint read over HTTP (a local node:http
 * server, the real global fetch) must give the same model as the directory
 * importer, and its errors must name the URL and the variable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchMl5Checkpoint, isMl5CheckpointUrl, ml5CheckpointFolder } from '../../src/weights/fetch-ml5-checkpoint.js';
import { importMl5Checkpoint } from '../../src/weights/ml5-checkpoint.js';
import { ML5_VARIABLE_ROLES } from '../../src/weights/read-ml5-checkpoint.js';
import { useBackend } from '../helpers/backends.js';
import { serveFiles, syntheticMl5Checkpoint, underPrefix } from '../helpers/ml5-checkpoint-server.js';
import { rejection, throwsOption } from '../helpers/option-errors.js';

const checkpoint = syntheticMl5Checkpoint(3);
let server: Awaited<ReturnType<typeof serveFiles>>;

test.before(async () => {
  await useBackend('cpu');
  const short = new Map(checkpoint.files);
  short.set('Variable_7', short.get('Variable_7')!.subarray(0, 100));
  const missing = new Map(checkpoint.files);
  missing.delete('Variable_12');
  server = await serveFiles(new Map([...underPrefix(checkpoint.files, '/wave/'), ...underPrefix(short, '/short/'), ...underPrefix(missing, '/missing/')]));
});
test.after(() => server.close());

test('folder URLs: with or without the slash, or the manifest, resolve to the folder', () => {
  assert.is(ml5CheckpointFolder('http://h/a/wave').href, 'http://h/a/wave/');
  assert.is(ml5CheckpointFolder('http://h/a/wave/').href, 'http://h/a/wave/');
  assert.is(ml5CheckpointFolder('http://h/a/wave/manifest.json?v=2#x').href, 'http://h/a/wave/');
  assert.ok(isMl5CheckpointUrl('http://h/a/wave/'));
  assert.ok(isMl5CheckpointUrl('models/wave/manifest.json'));
  assert.not.ok(isMl5CheckpointUrl('http://h/a/wave.safetensors'));
  assert.not.ok(isMl5CheckpointUrl('http://h/a/wave'));
  throwsOption(() => ml5CheckpointFolder('relative/wave/'), TypeError, /url must be an absolute URL of an ml5 checkpoint folder/);
});

test('a folder URL gives the variables by index, as the directory importer does', async () => {
  const before = tf.memory().numTensors;
  const model = await fetchMl5Checkpoint(`${server.base}/wave`);
  assert.is(model.arch.task, 'style');
  assert.is((model.arch as { variant: string }).variant, 'ml5');
  assert.is(model.provenance.source, `${server.base}/wave/`);
  assert.is(Object.keys(model.params).length, ML5_VARIABLE_ROLES.length);
  for (const role of ML5_VARIABLE_ROLES) {
    assert.equal(Array.from(model.params[role]!.dataSync()), Array.from(checkpoint.values.get(role)!), role);
  }
  // The same bytes on disk, through importMl5Checkpoint: same parameters, same order.
  const dir = await mkdtemp(join(tmpdir(), 'perceptual-ml5-url-'));
  try {
    for (const [name, body] of checkpoint.files) await writeFile(join(dir, name), body);
    const fromDisk = await importMl5Checkpoint(dir);
    assert.equal(Object.keys(fromDisk.params), Object.keys(model.params));
    assert.equal(fromDisk.arch, model.arch);
    tf.dispose(Object.values(fromDisk.params));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  tf.dispose(Object.values(model.params));
  assert.is(tf.memory().numTensors, before);
});

test('errors name the URL and the variable: HTTP 404, short file, unreachable server', async () => {
  const before = tf.memory().numTensors;
  let error = await rejection(() => fetchMl5Checkpoint(`${server.base}/none/`));
  assert.is(error.code, 'E_DOWNLOAD');
  assert.match(error.message, /Cannot read the ml5 manifest http:\/\/127\.0\.0\.1:\d+\/none\/manifest\.json: HTTP 404; check that the URL is the checkpoint folder/);
  error = await rejection(() => fetchMl5Checkpoint(`${server.base}/short/manifest.json`));
  assert.is(error.code, 'E_WEIGHTS_FORMAT');
  assert.match(error.message, /\/short\/Variable_7 \(variable 'Variable_7', d2\.norm\.beta\) is 100 bytes, expected 4 x 128 = 512/);
  error = await rejection(() => fetchMl5Checkpoint(`${server.base}/missing/`));
  assert.is(error.code, 'E_DOWNLOAD');
  assert.match(error.message, /Cannot read http:\/\/127\.0\.0\.1:\d+\/missing\/Variable_12 \(variable 'Variable_12'\): HTTP 404/);
  error = await rejection(() => fetchMl5Checkpoint('http://127.0.0.1:1/wave/'));
  assert.is(error.code, 'E_DOWNLOAD');
  assert.match(error.message, /manifest\.json: .*\(a network error, or the server does not allow this origin to read it\)/);
  assert.is(tf.memory().numTensors, before, 'nothing is left allocated after a failure');
});

test('options.fetch is used for every file, all variables in flight at once; an abort rejects with AbortError', async () => {
  let inFlight = 0;
  let most = 0;
  const fetchStub = async (url: string): Promise<Response> => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
    const body = checkpoint.files.get(url.slice('https://cdn.test/w/'.length));
    return body === undefined ? new Response(null, { status: 404 }) : new Response(body as Uint8Array<ArrayBuffer>);
  };
  const model = await fetchMl5Checkpoint('https://cdn.test/w/', { fetch: fetchStub });
  assert.is(most, ML5_VARIABLE_ROLES.length);
  tf.dispose(Object.values(model.params));
  const controller = new AbortController();
  controller.abort(new Error('user left'));
  const error = await rejection(() => fetchMl5Checkpoint('https://cdn.test/w/', { fetch: (url, init) => (init?.signal?.aborted ? Promise.reject(new Error('aborted')) : fetchStub(url)), signal: controller.signal }));
  assert.is(error.name, 'AbortError');
  assert.is(error.code, 'E_ABORTED');
});

test.run();
