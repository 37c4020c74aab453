// `npm run demo -- --keep` as a newcomer uses it: after the report, the printed Temporal UI link still
// answers, and SIGTERM (or Ctrl-C) then stops the whole stack. Its own process group, free ports and data
// directory, so it collides with nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/lib/temporal';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'overdue-demo-keep-'));
let child: ChildProcess | undefined;

afterAll(() => {
  // A failed assertion must not leave the stack behind: the demo runs in its own process group.
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const server = createServer();
    server.once('error', () => r(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => r(true)));
  });
}

describe('npm run demo -- --keep', () => {
  it('keeps the UI link working after the report until SIGTERM, then stops everything', { timeout: 240_000 }, async () => {
    const [temporalPort, uiPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort) };
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']) delete env[name];
    // node with tsx's loader, not the tsx binary: the signal goes to the demo itself, not through tsx's
    // relay (which, when the child's acknowledgement is late on a busy machine, SIGKILLs it).
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--loans', '3', '--day-seconds', '0.5', '--timeout', '3', '--keep', '--html', join(dir, 'report.html')], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<{ code: number | null }>((r) => child!.on('exit', (code) => r({ code })));

    await until('the demo to finish its report and keep the stack', 200_000, () => {
      if (child!.exitCode !== null) throw new Error(`the demo exited before --keep took hold:\n${out}`);
      return out.includes('--keep:');
    });
    const link = /Workflows: (http:\/\/\S+)/.exec(out)?.[1];
    expect(link, out).toBeDefined();
    expect(link).toContain(`:${uiPort}/`);
    // After the report: the link a person would click answers, and Temporal still takes connections.
    expect((await fetch(link!)).status).toBe(200);
    expect(await portIsFree(temporalPort)).toBe(false);
    expect(child.exitCode).toBeNull();

    child.kill('SIGTERM');
    const { code } = await exited;
    expect(code, out.slice(-600)).toBe(0);
    expect(out).toContain('SIGTERM: stopping');
    await until('the UI and Temporal ports to be released', 15_000, async () => (await portIsFree(uiPort)) && (await portIsFree(temporalPort)));
  });
});
