import path from 'node:path';
import type { Router } from '../gateway/rest/routes';
import { hostPort } from './config/start-error';

/** The command that issues a token, for a start that finds no admin.pat to point at. */
export const TOKEN_COMMAND = 'npx oidc-settings token create --role IAM_OWNER';

/**
 * Where a client reaches a listener: a wildcard bind (0.0.0.0, ::) is
 * reached as localhost on this machine; an IPv6 address goes in brackets.
 */
export const reachableAt = (host: string, port: number): string =>
  hostPort(host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host, port);

const GET_SETTINGS = '/zitadel.admin.v1.AdminService/GetOIDCSettings';

/**
 * The REST path to show: GetOIDCSettings's, as REST_MOUNTS placed it; for
 * a gateway in front of other services, the first mount.
 */
export function restPathOf(router: Router, mounts: Readonly<Record<string, string>>): string | undefined {
  const route = router.routes.find((r) => r.grpcPath === GET_SETTINGS && r.httpMethod === 'GET');
  return route?.template.literalPath ?? Object.values(mounts)[0];
}

export interface ReadyLine {
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A file under the working folder as ./data/admin.pat, any other as its absolute path. */
const shown = (file: string): string => {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : `./${relative}`;
};

/**
 * The line `npm start` ends its start with, once both ports listen: what to
 * open and where the token is, for a person (the message, which is what
 * pino-pretty shows) and for a machine (the same in fields of a JSON log).
 */
export function serverReadyLine(options: {
  readonly tls: boolean;
  readonly grpc: { readonly host: string; readonly port: number };
  readonly http: { readonly host: string; readonly port: number };
  /** The REST path of GetOIDCSettings (after REST_MOUNTS); undefined when not mounted. */
  readonly restPath: string | undefined;
  /** admin.pat, when it is there. */
  readonly tokenFile: string | undefined;
}): ReadyLine {
  const base = `${options.tls ? 'https' : 'http'}://${reachableAt(options.http.host, options.http.port)}`;
  const urls = {
    page: `${base}/ui/`,
    rest: options.restPath === undefined ? undefined : `${base}${options.restPath}`,
    grpcWeb: base,
    connect: base,
    grpc: reachableAt(options.grpc.host, options.grpc.port),
  };
  const parts = [
    `open ${urls.page} (settings page)`,
    ...(urls.rest === undefined ? [] : [`REST ${urls.rest}`]),
    `gRPC-Web and Connect ${base}`,
    `gRPC ${urls.grpc}${options.tls ? ' (TLS)' : ''}`,
    options.tokenFile === undefined ? `a token: ${TOKEN_COMMAND}` : `token in ${shown(options.tokenFile)}`,
  ];
  return {
    message: `ready: ${parts.join(' · ')}`,
    fields: { urls, tokenFile: options.tokenFile, tokenCommand: options.tokenFile === undefined ? TOKEN_COMMAND : undefined },
  };
}

/** The standalone gateway's line: where it serves, and what it forwards to. */
export function gatewayReadyLine(options: {
  readonly tls: boolean;
  readonly http: { readonly host: string; readonly port: number };
  readonly restPath: string | undefined;
  readonly upstream: string;
  readonly upstreamTls: boolean;
}): ReadyLine {
  const base = `${options.tls ? 'https' : 'http'}://${reachableAt(options.http.host, options.http.port)}`;
  const urls = {
    rest: options.restPath === undefined ? undefined : `${base}${options.restPath}`,
    grpcWeb: base,
    connect: base,
    upstream: options.upstream,
  };
  const parts = [
    ...(urls.rest === undefined ? [] : [`REST ${urls.rest}`]),
    `gRPC-Web and Connect ${base}`,
    `forwarding to gRPC ${options.upstream}${options.upstreamTls ? ' (TLS)' : ''}`,
  ];
  return { message: `ready: ${parts.join(' · ')}`, fields: { urls, upstreamTls: options.upstreamTls } };
}
