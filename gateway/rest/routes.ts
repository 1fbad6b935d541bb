import { type DescMessage, type DescMethod, getOption, hasOption } from '@bufbuild/protobuf';
import type { HttpRule } from '../../gen/es/google/api/http_pb';
import { http } from '../../gen/es/google/api/annotations_pb';
import type { Schema } from '../schema';
import { type CompiledPathTemplate, compilePathTemplate } from './path-template';
import { fieldNamed } from '../json-codec';

/** One HTTP binding of a method, compiled once at start. */
export interface Route {
  readonly httpMethod: string;
  /** The method's gRPC path, "/package.Service/Method". */
  readonly grpcPath: string;
  readonly template: CompiledPathTemplate;
  readonly method: DescMethod;
  /** "" (no body), "*" (the whole request), or a top-level request field name. */
  readonly body: string;
  /** "" (the whole response), or the response field sent as the body. */
  readonly responseBody: string;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly bindings: Record<string, string> }
  /** The path exists, but not for this HTTP method. */
  | { readonly kind: 'method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

export interface Router {
  readonly routes: readonly Route[];
  match(httpMethod: string, path: string): RouteMatch;
  /** The HTTP methods a path accepts (for CORS preflights). */
  methodsFor(path: string): string[];
}

/**
 * Compiles the google.api.http rules (and their additional_bindings) of
 * every method in the schema into a router. `mounts` prefixes the rules of a
 * service, as ZITADEL mounts zitadel.admin.v1.AdminService under /admin/v1.
 * No route is written by hand: what the protos say is what is served.
 */
export function routerCompile(schema: Schema, mounts: Readonly<Record<string, string>>): Router {
  const routes: Route[] = [];
  for (const method of schema.methods.values()) {
    if (!hasOption(method, http)) continue;
    const prefix = mounts[method.parent.typeName] ?? '';
    const rule = getOption(method, http);
    for (const binding of [rule, ...rule.additionalBindings]) {
      const route = routeOf(method, binding, prefix);
      if (route) routes.push(route);
    }
  }
  // The most specific template wins: more literal segments, then fewer variables.
  routes.sort(
    (a, b) => b.template.literalCount - a.template.literalCount || a.template.variables.length - b.template.variables.length,
  );

  // Plain literal templates are found by their path at once; the others
  // are tried one by one, most specific first. A path with escapes may
  // still spell a literal one ("%73ettings"), so it tries them all.
  const byPath = new Map<string, Route[]>();
  const patterned: Route[] = [];
  for (const route of routes) {
    const path = route.template.literalPath;
    if (path === undefined) patterned.push(route);
    else byPath.set(path, [...(byPath.get(path) ?? []), route]);
  }
  const NONE: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);
  const matching = (path: string) => {
    const found: Array<{ route: Route; bindings: Record<string, string> }> = [];
    const exact = byPath.get(path);
    if (exact) for (const route of exact) found.push({ route, bindings: NONE });
    for (const route of path.includes('%') ? routes : patterned) {
      if (exact?.includes(route)) continue;
      const bindings = route.template.match(path);
      if (bindings) found.push({ route, bindings });
    }
    return found;
  };

  return {
    routes,
    match(httpMethod, path) {
      const candidates = matching(path);
      const found = candidates.find((c) => c.route.httpMethod === httpMethod);
      if (found) return { kind: 'found', ...found };
      if (candidates.length > 0) return { kind: 'method', allowed: [...new Set(candidates.map((c) => c.route.httpMethod))] };
      return { kind: 'none' };
    },
    methodsFor(path) {
      return [...new Set(matching(path).map((c) => c.route.httpMethod))];
    },
  };
}

function routeOf(method: DescMethod, rule: HttpRule, prefix: string): Route | undefined {
  const { pattern } = rule;
  let httpMethod: string;
  let path: string;
  switch (pattern.case) {
    case 'get':
    case 'put':
    case 'post':
    case 'delete':
    case 'patch':
      httpMethod = pattern.case.toUpperCase();
      path = pattern.value;
      break;
    case 'custom':
      httpMethod = pattern.value.kind.toUpperCase();
      path = pattern.value.path;
      break;
    default:
      return undefined;
  }
  if (rule.body !== '' && rule.body !== '*' && !method.input.fields.some((f) => f.name === rule.body)) {
    throw new Error(`${method.parent.typeName}.${method.name}: body "${rule.body}" is not a field of ${method.input.typeName}`);
  }
  const template = compilePathTemplate(path, prefix);
  for (const variable of template.variables) {
    const last = variable.slice(0, -1).reduce<DescMessage | undefined>((m, n) => m && fieldNamed(m, n)?.message, method.input);
    if (!last || !fieldNamed(last, variable.at(-1)!)) {
      throw new Error(`${method.parent.typeName}.${method.name}: path variable ${variable.join('.')} is not a field of ${method.input.typeName}`);
    }
  }
  return {
    httpMethod,
    grpcPath: `/${method.parent.typeName}/${method.name}`,
    template,
    method,
    body: rule.body,
    responseBody: rule.responseBody,
  };
}
