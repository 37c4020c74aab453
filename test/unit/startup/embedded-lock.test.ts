// The embedded database belongs to one process: the lock file beside it names the holder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabaseBusyError, lockEmbeddedDatabase, lockFileFor } from '../../../db/embedded-lock';
import { temporalAddress } from '../../../worker/config';

const root = mkdtempSync(join(tmpdir(), 'overdue-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('lockEmbeddedDatabase', () => {
  it('records this process, lets it open the directory twice, and removes the file with the last release', () => {
    const dir = join(root, 'a', 'pglite');
    const first = lockEmbeddedDatabase(dir, 'npm start');
    expect(JSON.parse(readFileSync(lockFileFor(dir), 'utf8'))).toEqual({ pid: process.pid, owner: 'npm start' });
    const second = lockEmbeddedDatabase(dir, 'npm start');
    first();
    expect(existsSync(lockFileFor(dir))).toBe(true);
    second();
    expect(existsSync(lockFileFor(dir))).toBe(false);
  });

  it('refuses while another live process holds it, naming it and what to do', () => {
    const dir = join(root, 'b-pglite');
    writeFileSync(lockFileFor(dir), JSON.stringify({ pid: process.ppid, owner: 'npm start' }));
    expect(() => lockEmbeddedDatabase(dir)).toThrow(EmbeddedDatabaseBusyError);
    expect(() => lockEmbeddedDatabase(dir)).toThrow(new RegExp(`in use by npm start \\(pid ${process.ppid}\\).*DATABASE_URL`));
  });

  it('takes over a lock whose process no longer runs', () => {
    const dir = join(root, 'c-pglite');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(lockFileFor(dir), JSON.stringify({ pid: Number(gone), owner: 'npm start' }));
    const release = lockEmbeddedDatabase(dir, 'overdue keys');
    expect(JSON.parse(readFileSync(lockFileFor(dir), 'utf8'))).toMatchObject({ pid: process.pid, owner: 'overdue keys' });
    release();
  });
});

describe('temporalAddress', () => {
  it('is TEMPORAL_ADDRESS, else the dev server port on this machine', () => {
    expect(temporalAddress({ temporalAddress: 'temporal.internal:7233', temporalPort: 7999 })).toBe('temporal.internal:7233');
    expect(temporalAddress({ temporalAddress: undefined, temporalPort: 7999 })).toBe('127.0.0.1:7999');
  });
});
