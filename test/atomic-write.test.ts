import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { temporaryPathFor, writeFileAtomic } from '../src/atomic-write.js';

const work = mkdtempSync(join(tmpdir(), 'perceptual-atomic-write-'));

test.after(() => rm(work, { recursive: true, force: true }));

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** A temporary name for `target` as a writer with `pid` (on this host, unless `host` is given) would use. */
function temporaryOf(target: string, pid: number, host?: string): string {
  const ours = basename(temporaryPathFor(target));
  const named = ours.replace(`-${process.pid}.`, `-${pid}.`);
  return host === undefined ? named : named.replace(/\.[0-9a-f]{8}-/, `.${host}-`);
}

test('every write gets its own temporary name, carrying the pid', () => {
  const target = join(work, 'a.json');
  const [one, two] = [temporaryPathFor(target), temporaryPathFor(target)];
  assert.is.not(one, two);
  assert.match(basename(one), new RegExp(`^\\.a\\.json\\.[0-9a-f]{8}-${process.pid}\\.[0-9a-f]{8}\\.tmp$`));
});

test('a write removes the temporary files a killed writer left in its folder, and only those', async () => {
  const folder = join(work, 'stale');
  await mkdir(folder);
  const target = join(folder, 'config.json');
  const dead = temporaryOf(target, await deadPid());
  const deadOther = temporaryOf(join(folder, 'checkpoint.safetensors'), await deadPid());
  const live = temporaryOf(target, process.ppid);
  const otherHost = temporaryOf(target, await deadPid(), 'ffffffff');
  for (const name of [dead, deadOther, live, otherHost]) await writeFile(join(folder, name), '');
  await writeFileAtomic(target, '{"ok":true}\n');
  assert.is(await readFile(target, 'utf8'), '{"ok":true}\n');
  assert.equal((await readdir(folder)).sort(), [live, otherHost, 'config.json'].sort());
});

test('a failed write leaves no temporary file', async () => {
  const folder = join(work, 'failing');
  // rename() cannot replace a non-empty folder, so the write fails after the temporary file is complete.
  await mkdir(join(folder, 'out.png', 'inside'), { recursive: true });
  try {
    await writeFileAtomic(join(folder, 'out.png'), new Uint8Array(1024));
    assert.unreachable('should throw');
  } catch (error) {
    assert.ok((error as NodeJS.ErrnoException).code, String(error));
  }
  assert.equal(await readdir(folder), ['out.png']);
});

test.run();
