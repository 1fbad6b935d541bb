/**
 * docker-compose.yml cannot be started here (no Docker engine), so it is
 * validated with `docker-compose config` and checked against what the code
 * and the README say: the commands, the ports and the environment.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SETTINGS, loadConfig } from '../../src/config/config';
import { parseDurationText } from '../../src/config/duration-text';

const ROOT = path.join(__dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Service {
  command: string[];
  ports: Array<{ published: number; target: number }>;
  environment: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

function composeConfig(...args: string[]): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const out = execFileSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), ...args, 'config'], { encoding: 'utf8' });
  return parse(out) as { services: Record<string, Service>; volumes: Record<string, unknown> };
}

const settingFor = (env: string) => Object.values(SETTINGS).find((s) => s.env === env);

describe('docker-compose.yml', () => {
  const all = composeConfig('--profile', 'standalone-gateway');
  const service = all.services['oidc-settings']!;
  const gateway = all.services['gateway']!;

  it('is valid, with the standalone gateway only in its own profile', () => {
    expect(Object.keys(composeConfig().services)).toContain('oidc-settings');
    expect(service.profiles).toBeUndefined();
    expect(gateway.profiles).toEqual(['standalone-gateway']);
  });

  it('runs what the Dockerfile and the README say', () => {
    const start = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(service.command.join(' ')).toBe(start.scripts['start']);
    expect(DOCKERFILE).toContain(`CMD ${JSON.stringify(service.command).replace(/","/g, '", "')}`);
    expect(gateway.command).toEqual(['node', '--max-old-space-size=128', '--max-semi-space-size=8', 'dist/src/gateway-main.js']);
    expect(README.replace(/\s+/g, ' ')).toContain(`\`npm start\` runs \`${start.scripts['start']}\``);
    expect(DOCKERFILE).toMatch(/^USER node$/m);
    expect(DOCKERFILE).toMatch(/npm ci/);
    // Node 20 in both stages, the data folder a volume, a health check on /readyz.
    expect(DOCKERFILE.match(/^FROM node:20[-\w]* /gm)?.length ?? 0).toBe(1);
    expect(DOCKERFILE).toMatch(/^FROM node:20[-\w]*$/m);
    expect(DOCKERFILE).toMatch(/^VOLUME \/data$/m);
    expect(DOCKERFILE).toMatch(/^HEALTHCHECK [\s\S]*\/readyz/m);
    expect(README).toContain('docker compose up -d');
    expect(README).toContain('docker compose --profile standalone-gateway up -d');
    expect(README).toContain('docker compose exec oidc-settings cat /data/admin.pat');
    // The operator command in the image, on the PATH, as the README uses it.
    const bin = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['oidc-settings'];
    expect(DOCKERFILE).toMatch(/^COPY --from=build \/app\/bin \.\/bin$/m);
    expect(DOCKERFILE).toContain(`ln -s /app/${bin} /usr/local/bin/oidc-settings`);
    expect(README.replace(/\s+/g, ' ')).toContain('docker compose exec oidc-settings oidc-settings backup --to /data/backup.db');
  });

  it('uses only settings the service knows, each for the program it runs', () => {
    for (const [name, svc, program] of [['oidc-settings', service, 'server'], ['gateway', gateway, 'gateway']] as const) {
      for (const key of Object.keys(svc.environment)) {
        expect({ name, key, known: settingFor(key)?.programs.includes(program) ?? false }).toEqual({ name, key, known: true });
      }
    }
  });

  it('publishes the ports the environment sets, as the README documents them', () => {
    const env = service.environment;
    expect(service.ports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ published: 50051, target: Number(env['GRPC_PORT']) }),
        expect.objectContaining({ published: 8080, target: Number(env['HTTP_PORT']) }),
      ]),
    );
    expect(gateway.ports).toEqual([expect.objectContaining({ published: 8081, target: Number(gateway.environment['HTTP_PORT']) })]);
    expect(gateway.environment['GATEWAY_UPSTREAM']).toBe(`oidc-settings:${env['GRPC_PORT']}`);
    for (const line of ['| gRPC | 50051 |', '| gRPC-Web, REST, page, /metrics | 8080 |', '| standalone gateway (profile) | 8081 |']) {
      expect(README).toContain(line);
    }
  });

  it('keeps SQLite on a named volume at DATA_DIR, and health-checks through /readyz', () => {
    // docker-compose 1.x prints a volume as "source:target:mode".
    expect(service.volumes).toEqual([`oidc-settings-data:${service.environment['DATA_DIR']}:rw`]);
    expect(Object.keys(all.volumes)).toContain('oidc-settings-data');
    expect(service.healthcheck?.test.join(' ')).toContain('/readyz');
  });

  it('gives each process time to drain and finish its calls before Docker kills it', () => {
    const withPostgres = composeConfig('--profile', 'postgres', '--profile', 'standalone-gateway');
    for (const name of ['oidc-settings', 'gateway', 'replica-1', 'replica-2']) {
      const svc = withPostgres.services[name]!;
      const config = loadConfig(svc.environment, [], name === 'gateway' ? 'gateway' : 'server');
      const stopGraceMs = Number(parseDurationText(svc.stop_grace_period ?? '10s')!.seconds) * 1000; // Docker's default: 10 s
      // SIGTERM, SHUTDOWN_DRAIN, then SHUTDOWN_GRACE for calls in flight, with a few seconds to spare.
      const needed = config.shutdownDrainMs + config.shutdownGraceMs + 5000;
      expect({ name, stopGraceMs, enough: stopGraceMs >= needed }).toEqual({ name, stopGraceMs, enough: true });
    }
  });

  describe('the postgres profile', () => {
    const withPostgres = composeConfig('--profile', 'postgres');
    const replicas = ['replica-1', 'replica-2'].map((name) => withPostgres.services[name]!);
    const postgres = withPostgres.services['postgres']!;

    it('runs PostgreSQL and two replicas on it, only in its own profile', () => {
      for (const svc of [postgres, ...replicas]) expect(svc.profiles).toEqual(['postgres']);
      const env = postgres.environment;
      for (const replica of replicas) {
        const url = new URL(replica.environment['DATABASE_URL']!);
        expect({ host: url.host, user: url.username, password: url.password, db: url.pathname }).toEqual({
          host: 'postgres:5432',
          user: env['POSTGRES_USER'],
          password: env['POSTGRES_PASSWORD'],
          db: `/${env['POSTGRES_DB']}`,
        });
        expect(replica.command).toEqual(service.command);
        for (const key of Object.keys(replica.environment)) expect({ key, known: settingFor(key)?.programs.includes('server') }).toEqual({ key, known: true });
        expect(replica.healthcheck?.test.join(' ')).toContain('/readyz');
        expect((replica as Service & { depends_on?: unknown }).depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      }
      expect(postgres.healthcheck?.test).toContain('pg_isready');
    });

    it('gives each replica its own data folder and its own ports', () => {
      const volumes = replicas.map((r) => r.volumes?.[0]?.split(':')[0]);
      expect(new Set(volumes).size).toBe(2);
      const published = replicas.flatMap((r) => r.ports.map((p) => p.published));
      expect(new Set(published).size).toBe(4);
      expect(README).toContain('docker compose --profile postgres up -d postgres replica-1 replica-2');
    });
  });
});
