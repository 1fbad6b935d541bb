import type { ExtraRoute } from './server';

const json = (status: number, body: object) => {
  const text = JSON.stringify(body);
  return { status, text };
};

/**
 * GET /healthz: the process answers (liveness). GET /readyz: it can serve
 * calls (readiness), 503 otherwise, e.g. before the database is open or
 * while shutting down. Answers are never cached.
 */
export function healthRoutes(ready: () => boolean): ExtraRoute[] {
  const answer = (path: string, check: () => boolean): ExtraRoute => ({
    method: 'GET',
    path,
    handle: (_request, response) => {
      const ok = check();
      const { status, text } = json(ok ? 200 : 503, { status: ok ? 'SERVING' : 'NOT_SERVING' });
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': text.length });
      response.end(text);
    },
  });
  return [answer('/healthz', () => true), answer('/readyz', ready)];
}

/** GET /metrics in the Prometheus text format, rendered by the caller (prom-client). */
export function metricsRoute(render: () => Promise<string>, contentType: string): ExtraRoute {
  return {
    method: 'GET',
    path: '/metrics',
    handle: async (_request, response) => {
      const body = await render();
      response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(body);
    },
  };
}
