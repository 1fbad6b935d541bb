import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ExtraRoute } from './server';

export interface StaticOptions {
  /** The folder served. Nothing outside it is read, whatever the URL or a symlink says. */
  readonly folder: string;
  /** The URL prefix it is served at, ending in "/" ("/ui/"); a path ending in "/" answers its index.html. */
  readonly mount: string;
}

/** By file extension; anything else is served as bytes, never sniffed. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * esbuild's "[name]-[hash]": eight base32 characters before the extension.
 * Such a file never changes under its name, so browsers may keep it for a
 * year without asking; everything else (index.html above all, which names
 * the current hashes) is revalidated on every use.
 */
const HASHED_NAME = /-[A-Z2-7]{8}\.[a-z0-9.]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** A request the folder will not answer, and the status to say so with. */
class Refusal extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly text: string,
  ) {
    super(text);
  }
}

const notFound = new Refusal(404, 'Not found');

/**
 * The folder-relative segments of a request path, checked one by one after
 * percent-decoding: "..", "%2e%2e", dot files, an encoded "/" or "\", an
 * empty segment ("//", which would make the rest absolute) and NUL are all
 * refused. The raw URL is used, not the gateway's normalised one, so a
 * "/ui/../x" that normalises back under the mount is refused too.
 */
function segmentsOf(rawUrl: string, mount: string): string[] {
  const rawPath = rawUrl.split(/[?#]/, 1)[0] ?? '';
  if (!rawPath.startsWith(mount)) throw notFound;
  const segments = rawPath.slice(mount.length).split('/');
  return segments.map((encoded, index) => {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      throw new Refusal(400, 'Malformed percent-encoding');
    }
    if (segment.includes('\0')) throw new Refusal(400, 'NUL in path');
    const last = index === segments.length - 1;
    if (segment === '') {
      if (last) return 'index.html';
      throw notFound;
    }
    if (segment.startsWith('.') || /[/\\]/.test(segment) || path.isAbsolute(segment)) throw notFound;
    return segment;
  });
}

interface Found {
  readonly file: string;
  readonly stat: fs.Stats;
}

/** The real path of the file asked for, if it is a regular file inside the folder (after symlinks). */
async function resolveFile(folder: string, segments: readonly string[]): Promise<Found> {
  try {
    const root = await fs.promises.realpath(folder);
    const file = await fs.promises.realpath(path.join(root, ...segments));
    if (!file.startsWith(root + path.sep)) throw notFound;
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw notFound;
    return { file, stat };
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw notFound; // ENOENT, ENOTDIR, EACCES: nothing to serve, and no reason given.
  }
}

/** A weak validator from size and modification time: cheap, and changes whenever the build rewrites the file. */
const etagOf = (stat: fs.Stats): string => `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;

/** RFC 9110 §13.1.2 (If-None-Match, weak comparison) first; If-Modified-Since only without it (§13.1.3). */
function notModified(request: IncomingMessage, etag: string, stat: fs.Stats): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
  }
  const since = Date.parse(request.headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && Math.floor(stat.mtimeMs / 1000) * 1000 <= since;
}

/**
 * Answers with the file `find` names: its type by extension, its caching by
 * its name, validators and 304 when unchanged; or with the refusal `find`
 * throws, as plain text.
 */
async function serve(request: IncomingMessage, response: ServerResponse, find: () => Promise<Found>): Promise<void> {
  let found: Found;
  try {
    found = await find();
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    response.writeHead(error.status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
    response.end(`${error.text}\n`);
    return;
  }
  const { file, stat } = found;
  const etag = etagOf(stat);
  const headers = {
    'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'cache-control': HASHED_NAME.test(path.basename(file)) ? IMMUTABLE : REVALIDATE,
    etag,
    'last-modified': stat.mtime.toUTCString(),
    'x-content-type-options': 'nosniff',
  };
  if (notModified(request, etag, stat)) {
    response.writeHead(304, headers).end();
    return;
  }
  response.writeHead(200, { ...headers, 'content-length': stat.size });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  try {
    await pipeline(fs.createReadStream(file), response);
  } catch (error) {
    // A browser that goes away mid-file is not a gateway fault; anything else is.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
}

/**
 * Serves a folder of static files (the built settings page) beside the API,
 * on GET and HEAD.
 */
export function staticRoute(options: StaticOptions): ExtraRoute {
  if (!options.mount.startsWith('/') || !options.mount.endsWith('/')) {
    throw new Error(`a static mount starts and ends with "/": ${options.mount}`);
  }
  // Extra routes are consulted before the REST routes, so "/" would shadow every REST GET.
  if (options.mount === '/') throw new Error('a static mount needs a folder name: "/" would take every GET');
  return {
    method: 'GET',
    path: options.mount,
    prefix: true,
    handle: (request, response) => serve(request, response, () => resolveFile(options.folder, segmentsOf(request.url ?? '/', options.mount))),
  };
}

/**
 * One file of a folder at one exact path, typed and cached by the file's own
 * name, not the path's: e.g. "/favicon.ico", which browsers ask for on any
 * page without an icon link, answered with the page's SVG icon. 404 while
 * the file is missing (before a build).
 */
export function fileRoute(urlPath: string, { folder, name }: { folder: string; name: string }): ExtraRoute {
  return { method: 'GET', path: urlPath, handle: (request, response) => serve(request, response, () => resolveFile(folder, [name])) };
}

/** A permanent redirect of one exact path (e.g. "/" to the page at "/ui/"). */
export function redirectRoute(from: string, to: string): ExtraRoute {
  return {
    method: 'GET',
    path: from,
    handle: (_request, response) => {
      response.writeHead(308, { location: to, 'content-length': 0 }).end();
    },
  };
}
