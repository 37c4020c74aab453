// The Temporal server configuration `npm run cluster` writes: PostgreSQL for persistence and visibility,
// the shard count asked for, and ports the server can store (membership ports are a smallint).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { postgresTarget, writeServerConfig } from '../../scripts/lib/cluster';

const dir = mkdtempSync(join(tmpdir(), 'overdue-cluster-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ServerConfig {
  persistence: { defaultStore: string; visibilityStore: string; numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string; databaseName: string; connectAddr: string; user: string } }> };
  services: Record<string, { rpc: { grpcPort: number; membershipPort: number; httpPort?: number } }>;
  global: { metrics: { prometheus: { listenAddress: string } } };
}

describe('npm run cluster: the server configuration', () => {
  it('puts persistence and visibility on PostgreSQL with the shards asked for', () => {
    const file = writeServerConfig({
      dir,
      postgres: postgresTarget('postgres://temporal:secret@db.internal:6543/postgres'),
      databases: { persistence: 'overdue_temporal', visibility: 'overdue_temporal_visibility' },
      shards: 4,
      frontendPort: 7233,
      metricsAddress: '127.0.0.1:9091',
    });
    const config = parse(readFileSync(file, 'utf8')) as ServerConfig;
    expect(config.persistence.numHistoryShards).toBe(4);
    const stores = config.persistence.datastores;
    expect(stores[config.persistence.defaultStore]!.sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'overdue_temporal', connectAddr: 'db.internal:6543', user: 'temporal' });
    expect(stores[config.persistence.visibilityStore]!.sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'overdue_temporal_visibility' });
    expect(config.global.metrics.prometheus.listenAddress).toBe('127.0.0.1:9091');
  });

  it("uses Temporal's usual ports beside the frontend, every one distinct and below 32768", () => {
    const config = parse(readFileSync(join(dir, 'config', 'overdue-cluster.yaml'), 'utf8')) as ServerConfig;
    expect(config.services.frontend!.rpc).toMatchObject({ grpcPort: 7233, membershipPort: 6933, httpPort: 7243 });
    const ports = Object.values(config.services).flatMap((s) => [s.rpc.grpcPort, s.rpc.membershipPort, ...(s.rpc.httpPort ? [s.rpc.httpPort] : [])]);
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(32768);
  });

  it('refuses a frontend port whose membership ports would not fit, naming the range', () => {
    const options = { dir, postgres: postgresTarget('postgres://postgres@127.0.0.1:5432/postgres'), databases: { persistence: 'a', visibility: 'b' }, shards: 4, metricsAddress: '127.0.0.1:9091' };
    expect(() => writeServerConfig({ ...options, frontendPort: 40_000 })).toThrow(/between 1324 and 32757 \(got 40000\)/);
  });
});
