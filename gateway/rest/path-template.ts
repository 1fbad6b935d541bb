/**
 * google.api.http path templates (google/api/http.proto, AIP-127) compiled
 * once at start-up into segment matchers, so routing a REST request never
 * re-parses a template.
 */

export class PathTemplateError extends Error {
  override name = 'PathTemplateError';
}

export interface CompiledPathTemplate {
  /** The template as written, e.g. "/v1/{name=shelves/*}" (without the prefix). */
  readonly template: string;
  /** Field paths bound by variables, in order, e.g. [["name"]] or [["book","id"]]. */
  readonly variables: readonly (readonly string[])[];
  /** Literal segments, prefix included, plus one for a verb (used to rank routes: more literals = more specific). */
  readonly literalCount: number;
  /**
   * For a template of plain literal segments only (no variable, wildcard,
   * verb or escape), the one request path it matches, so a router can find
   * it by lookup; undefined otherwise.
   */
  readonly literalPath: string | undefined;
  /**
   * Matches a request path (already split from the query string, not yet
   * percent-decoded, starting with "/"). Returns the variable bindings
   * (field path joined with "." -> decoded value) or undefined when it does not match.
   */
  match(path: string): Record<string, string> | undefined;
}

/** A literal holds its decoded text; undefined stands for "*" or "**". */
interface Segment {
  readonly literal: string | undefined;
  readonly rest: boolean;
}

interface Variable {
  readonly path: readonly string[];
  readonly key: string;
  readonly start: number;
  /** Exclusive; a variable ending in "**" runs to the end of the request path instead. */
  readonly end: number;
  readonly multi: boolean;
}

const LITERAL = /(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+/y;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const PREFIX = /^(?:\/(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+)*$/;

function decode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** http.proto's reserved expansion: a "/" inside one segment must stay distinguishable from a separator. */
function decodeKeepingSlashes(text: string): string | undefined {
  if (!text.includes('%')) return text;
  // No UTF-8 sequence contains 0x2F, so splitting there never cuts a multi-byte escape.
  const pieces = text.split(/(%2F)/i);
  for (let i = 0; i < pieces.length; i += 2) {
    const decoded = decode(pieces[i]!);
    if (decoded === undefined) return undefined;
    pieces[i] = decoded;
  }
  return pieces.join('');
}

function parse(template: string, segments: Segment[], variables: Variable[]): string | undefined {
  let pos = 0;
  function fail(what: string, at = pos): never {
    throw new PathTemplateError(`path template ${JSON.stringify(template)}: ${what} (at offset ${at})`);
  }

  const literal = (): string | undefined => {
    LITERAL.lastIndex = pos;
    const text = LITERAL.exec(template)?.[0];
    if (text === undefined) {
      if (template[pos] === '%') fail('invalid percent-escape');
      return undefined;
    }
    const decoded = decode(text);
    if (decoded === undefined) fail('percent-escape is not UTF-8');
    pos += text.length;
    return decoded;
  };

  const segment = (inVariable: boolean): void => {
    if (segments.some((s) => s.rest)) fail('"**" must be the last segment');
    const c = template[pos];
    if (c === '*') {
      const rest = template[pos + 1] === '*';
      segments.push({ literal: undefined, rest });
      pos += rest ? 2 : 1;
    } else if (c === '{') {
      if (inVariable) fail('nested variable');
      variable();
    } else if (c === '}' && !inVariable) {
      fail('unbalanced "}"');
    } else {
      const text = literal();
      if (text === undefined) {
        const empty = c === undefined || c === '/' || c === ':' || c === '}';
        fail(empty ? 'empty segment' : `unexpected ${JSON.stringify(c)}`);
      }
      segments.push({ literal: text, rest: false });
    }
  };

  const segmentList = (inVariable: boolean): void => {
    segment(inVariable);
    while (template[pos] === '/') {
      pos++;
      segment(inVariable);
    }
  };

  const variable = (): void => {
    const open = pos++;
    const fieldStart = pos;
    while (pos < template.length && !'={}/:'.includes(template[pos]!)) pos++;
    const field = template.slice(fieldStart, pos);
    if (!FIELD_PATH.test(field)) fail(`bad field path ${JSON.stringify(field)}`, fieldStart);
    // Binding both "a" and "a.b" would make "a" a string and a message at once.
    const clash = variables.find(
      (v) => v.key === field || v.key.startsWith(`${field}.`) || field.startsWith(`${v.key}.`),
    );
    if (clash?.key === field) fail(`field "${field}" is bound twice`, fieldStart);
    if (clash) fail(`field "${field}" overlaps "${clash.key}"`, fieldStart);
    const start = segments.length;
    if (template[pos] === '=') {
      pos++;
      segmentList(true);
    } else {
      segments.push({ literal: undefined, rest: false });
    }
    const c = template[pos];
    if (c === undefined) fail('unbalanced "{"', open);
    if (c === '{') fail('nested variable');
    if (c !== '}') fail(`unexpected ${JSON.stringify(c)}`);
    pos++;
    const end = segments.length;
    const multi = end - start !== 1 || segments[start]!.rest;
    variables.push({ path: field.split('.'), key: field, start, end, multi });
  };

  if (template[0] !== '/') fail('must start with "/"', 0);
  pos = 1;
  segmentList(false);
  let verb: string | undefined;
  if (template[pos] === ':') {
    pos++;
    verb = literal();
    if (verb === undefined) fail('empty verb');
  }
  if (pos < template.length) fail(template[pos] === '}' ? 'unbalanced "}"' : `unexpected ${JSON.stringify(template[pos])}`);
  return verb;
}

/** prefix: a mount path such as "/admin/v1" prepended to the template ("" for none). */
export function compilePathTemplate(template: string, prefix = ''): CompiledPathTemplate {
  const badPrefix = (): PathTemplateError =>
    new PathTemplateError(
      `path template ${JSON.stringify(template)}: bad prefix ${JSON.stringify(prefix)} (must be "" or "/segment..." without a trailing "/")`,
    );
  if (!PREFIX.test(prefix)) throw badPrefix();
  const segments: Segment[] = [];
  for (const text of prefix.split('/').slice(1)) {
    const literal = decode(text);
    if (literal === undefined) throw badPrefix();
    segments.push({ literal, rest: false });
  }
  const offset = segments.length;
  const parsed: Segment[] = [];
  const parsedVariables: Variable[] = [];
  const verb = parse(template, parsed, parsedVariables);
  segments.push(...parsed);
  const variables = parsedVariables.map((v) => ({ ...v, start: v.start + offset, end: v.end + offset }));
  const rest = segments[segments.length - 1]!.rest;
  const fixed = rest ? segments.length - 1 : segments.length;

  const match = (path: string): Record<string, string> | undefined => {
    if (path[0] !== '/') return undefined;
    const parts = path === '/' ? [] : path.slice(1).split('/');
    if (verb !== undefined) {
      const last = parts.pop();
      if (last === undefined) return undefined;
      const colon = last.lastIndexOf(':');
      if (colon < 0 || decode(last.slice(colon + 1)) !== verb) return undefined;
      parts.push(last.slice(0, colon));
    }
    if (rest ? parts.length < fixed : parts.length !== fixed) return undefined;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '') return undefined;
      const literal = segments[i]?.literal;
      if (literal !== undefined && decode(part) !== literal) return undefined;
    }
    // A null prototype keeps a field named "__proto__" an ordinary binding.
    const bindings = Object.create(null) as Record<string, string>;
    for (const v of variables) {
      const value = v.multi
        ? decodeKeepingSlashes(parts.slice(v.start, segments[v.end - 1]!.rest ? parts.length : v.end).join('/'))
        : decode(parts[v.start]!);
      if (value === undefined) return undefined;
      bindings[v.key] = value;
    }
    return bindings;
  };

  return {
    template,
    variables: variables.map((v) => v.path),
    literalCount: segments.filter((s) => s.literal !== undefined).length + (verb === undefined ? 0 : 1),
    literalPath:
      verb === undefined && segments.every((s) => s.literal !== undefined && /^[A-Za-z0-9._~-]+$/.test(s.literal))
        ? `/${segments.map((s) => s.literal).join('/')}`
        : undefined,
    match,
  };
}
