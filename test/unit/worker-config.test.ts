// The collections worker's sticky-cache size, as an operator sets it: WORKER_MAX_CACHED_WORKFLOWS, a
// positive whole number, or `auto` for the Temporal SDK's own heap-derived size; unset or empty keeps the
// bounded default; anything else stops start-up with the variable named.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CACHED_WORKFLOWS, readConfig, workerHeapFlag, workerProcessEnv } from '../../worker/config';

describe('WORKER_MAX_CACHED_WORKFLOWS', () => {
  it('defaults to a fixed bound, not one that grows with the machine', () => {
    expect(readConfig({}).maxCachedWorkflows).toBe(250);
    expect(DEFAULT_MAX_CACHED_WORKFLOWS).toBe(250);
    expect(readConfig({ WORKER_MAX_CACHED_WORKFLOWS: '' }).maxCachedWorkflows).toBe(250);
  });

  it('takes the size an operator sets', () => {
    expect(readConfig({ WORKER_MAX_CACHED_WORKFLOWS: '500' }).maxCachedWorkflows).toBe(500);
    expect(readConfig({ WORKER_MAX_CACHED_WORKFLOWS: '50000' }).maxCachedWorkflows).toBe(50000);
  });

  it('leaves the size to the Temporal SDK when set to auto', () => {
    expect(readConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'auto' }).maxCachedWorkflows).toBe('auto');
  });

  it.each(['0', '-5', '1.5', 'lots', '2,000', 'Infinity', 'AUTO', 'sdk'])('refuses %j with the variable named', (raw) => {
    expect(() => readConfig({ WORKER_MAX_CACHED_WORKFLOWS: raw })).toThrow(
      `WORKER_MAX_CACHED_WORKFLOWS must be a positive integer or 'auto' (got ${JSON.stringify(raw)})`,
    );
  });
});

describe('WORKFLOW_BUNDLE', () => {
  it('is unset unless an operator names a built bundle', () => {
    expect(readConfig({}).workflowBundle).toBeUndefined();
    expect(readConfig({ WORKFLOW_BUNDLE: '' }).workflowBundle).toBeUndefined();
    expect(readConfig({ WORKFLOW_BUNDLE: '/app/.build/workflow-bundle.js' }).workflowBundle).toBe('/app/.build/workflow-bundle.js');
  });
});

describe('the worker process memory settings (workerProcessEnv)', () => {
  it('starts a worker with 2 glibc arenas and 2 MB V8 semi-spaces', () => {
    expect(workerProcessEnv({})).toEqual({ MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=2' });
  });

  it("keeps an operator's own settings: their arena count, and their NODE_OPTIONS after ours so theirs win", () => {
    expect(workerProcessEnv({ MALLOC_ARENA_MAX: '4', NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=1024' })).toEqual({
      MALLOC_ARENA_MAX: '4',
      NODE_OPTIONS: '--max-semi-space-size=2 --max-semi-space-size=8 --max-old-space-size=1024',
    });
  });
});

describe("the worker's V8 heap growth (workerHeapFlag)", () => {
  it('lets the heaps grow 25 % past the live objects before collecting', () => {
    expect(workerHeapFlag([])).toBe('--heap-growing-percent=25');
    expect(workerHeapFlag(['--import', 'tsx'])).toBe('--heap-growing-percent=25');
  });

  it("leaves node's own flag alone", () => {
    expect(workerHeapFlag(['--heap-growing-percent=50', '--import', 'tsx'])).toBeUndefined();
    expect(workerHeapFlag(['--heap_growing_percent=0'])).toBeUndefined();
  });
});
