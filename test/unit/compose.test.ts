// Docker cannot run on this project's machines, so the compose file, the Dockerfile and .dockerignore
// are checked as documents: what a user running `docker compose up` depends on (issue #18).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allSearchAttributes } from '../../contracts/search-attributes';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${root}/${path}`, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  volumes?: string[];
  deploy?: { replicas?: number };
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const oneShot = Object.entries(services).filter(([, s]) => s.restart === 'no').map(([name]) => name);

describe('docker-compose.yml', () => {
  it('pins every image to a version, never latest', () => {
    const images = Object.values(services).flatMap((s) => (s.image ? [s.image] : []));
    expect(images.length).toBeGreaterThan(5);
    for (const image of images) expect(image, image).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/);
  });

  it('runs Temporal from temporalio/server and temporalio/admin-tools, not the deprecated auto-setup', () => {
    const images = Object.values(services).map((s) => s.image ?? '');
    expect(images.some((i) => i.includes('auto-setup'))).toBe(false);
    expect(services.temporal?.image).toMatch(/^temporalio\/server:/);
    const schema = Object.values(services).find((s) => s.image?.startsWith('temporalio/admin-tools:') && s.entrypoint?.join(' ').includes('setup-schema'));
    expect(schema, 'a one-shot admin-tools service creates the schemas').toBeDefined();
    expect(services.temporal?.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
    // The server and admin-tools at the version the project builds and tests against (scripts/lib/cluster.ts).
    expect(services.temporal?.image).toBe('temporalio/server:1.29.1');
  });

  it('registers every search attribute the code defines', () => {
    const script = read('ops/temporal/register.sh');
    for (const key of allSearchAttributes) expect(script, key.name).toContain(`${key.name}=`);
  });

  it("migrates Overdue's database once, in its own service, before any worker or API starts", () => {
    const migrate = services['overdue-migrate'];
    expect(migrate?.command).toEqual(['scripts/db-migrate.ts']);
    expect(migrate?.restart).toBe('no');
    for (const name of ['worker', 'api']) expect(services[name]?.depends_on?.['overdue-migrate']?.condition, name).toBe('service_completed_successfully');
  });

  it('restarts every long-running service and no one-shot one', () => {
    expect(oneShot.sort()).toEqual(['overdue-migrate', 'temporal-register', 'temporal-schema']);
    for (const [name, service] of Object.entries(services)) {
      if (oneShot.includes(name)) continue;
      expect(service.restart, name).toMatch(/^(unless-stopped|always|on-failure)$/);
    }
  });

  it('never starts Overdue through npm, and runs two workers with /metrics open to Prometheus', () => {
    for (const [name, service] of Object.entries(services)) expect(service.command?.[0], name).not.toBe('npm');
    expect(services.worker?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(services.worker?.environment).toMatchObject({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9464' });
  });

  it('has Prometheus scraping the workers, the API and Temporal, and Grafana with the provisioned dashboard', () => {
    expect(services.prometheus?.image).toMatch(/^prom\/prometheus:/);
    expect(services.grafana?.image).toMatch(/^grafana\/grafana:/);
    const prometheus = parse(read('ops/prometheus/prometheus.yml')) as { scrape_configs: Array<{ job_name: string }> };
    expect(prometheus.scrape_configs.map((c) => c.job_name).sort()).toEqual(['overdue-api', 'overdue-worker', 'temporal-server']);
    for (const volume of services.grafana?.volumes ?? []) expect(existsSync(`${root}/${volume.split(':')[0]}`), volume).toBe(true);
    const dashboard = JSON.parse(read('ops/grafana/dashboards/overdue.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    // Stage counts, contacts per second, blocked by rule, activity failures, schedule-to-start latency.
    for (const metric of ['overdue_open_cases', 'overdue_contacts_total', 'result="blocked"', 'temporal_activity_execution_failed', 'temporal_activity_schedule_to_start_latency_bucket']) {
      expect(exprs, metric).toContain(metric);
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));

  it('starts node itself, as a non-root user, from a pinned base image', () => {
    expect(lines.find((l) => l.startsWith('FROM'))).toMatch(/^FROM node:\d+\.\d+\.\d+-/);
    const entrypoint = lines.find((l) => l.startsWith('ENTRYPOINT'));
    expect(JSON.parse(entrypoint!.slice('ENTRYPOINT'.length))[0]).toBe('node');
    expect(lines.some((l) => /^CMD \["npm"/.test(l))).toBe(false);
    const user = lines.filter((l) => l.startsWith('USER')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
  });

  it('never copies the local data (the outbox holds borrowers\' emails) or the host\'s node_modules', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toContain('.data');
    expect(ignored).toContain('node_modules');
  });
});
