/**
 * REST transcoding is generic: a test-only proto (library.v1) that no
 * gateway code knows, handed to the standalone gateway as a folder of
 * protos, in front of a small test upstream. Every route comes from its
 * google.api.http rules.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChildGateway, startChildGateway } from '../helpers/child-server';
import { rawRequest } from '../helpers/raw-http';
import { type LibraryUpstream, libraryDescriptorSet, libraryProtoFolder, startLibraryUpstream } from '../helpers/library-upstream';

let upstream: LibraryUpstream;
let gateway: ChildGateway;
let base: string;

beforeAll(async () => {
  const folder = libraryProtoFolder();
  upstream = await startLibraryUpstream(libraryDescriptorSet(folder));
  gateway = await startChildGateway(['--upstream', `127.0.0.1:${upstream.port}`, '--proto-path', folder]);
  base = `http://127.0.0.1:${gateway.port}`;
});
afterAll(async () => {
  gateway.child.kill('SIGTERM');
  expect(await gateway.exited).toBe(0);
  await upstream.stop();
});

async function rest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

describe('REST routes from google.api.http rules alone', () => {
  it('binds a multi-segment path variable: {name=shelves/*/settings}', async () => {
    const { status, json } = await rest('GET', '/v1/shelves/s1/settings');
    expect(status).toBe(200);
    expect(json['getShelfSettings']).toEqual({ name: 'shelves/s1/settings' });
  });

  it('binds query parameters to fields: scalars, nested, bool, repeated, WKT, int64; proto and JSON names', async () => {
    const query =
      'pageSize=10&filter.author=Le%20Guin&filter.published_after=1969-03-01T00:00:00Z&include_hidden=true' +
      '&tags=a&tags=b&maxAge=3600s&offset=12345678901234&unknownParam=x';
    const { status, json } = await rest('GET', `/v1/shelves/s%201/books?${query}`);
    expect(status).toBe(200);
    expect(json['listBooks']).toEqual({
      shelf: 's 1',
      pageSize: 10,
      filter: { author: 'Le Guin', publishedAfter: '1969-03-01T00:00:00Z' },
      includeHidden: true,
      tags: ['a', 'b'],
      maxAge: '3600s',
      offset: '12345678901234',
    });
  });

  it('serves additional_bindings', async () => {
    const { status, json } = await rest('GET', '/v1/books?shelf=x');
    expect(status).toBe(200);
    expect(json['listBooks']).toEqual({ shelf: 'x' });
  });

  it('maps body "book" to one field, with a nested path variable {book.id} and query parameters for the rest', async () => {
    const { status, json } = await rest('PATCH', '/v1/shelves/s1/books/b1?validateOnly=true', {
      title: 'The Dispossessed',
      loan_period: '1209600s',
      ignored: 1,
    });
    expect(status).toBe(200);
    expect(json['updateBook']).toEqual({
      shelf: 's1',
      book: { id: 'b1', title: 'The Dispossessed', loanPeriod: '1209600s' },
      validateOnly: true,
    });
  });

  it('maps body "*" with a verb, and answers with response_body only', async () => {
    const { status, json } = await rest('POST', '/v1/shelves/s1/books/b1:move', { destination: 's2', unknownField: [1] });
    expect(status).toBe(200);
    expect(json).toEqual({ shelf: 's1', id: 'b1', destination: 's2' });
  });

  it('binds {path=**} to the rest of the path, keeping %2F encoded', async () => {
    const { json } = await rest('GET', '/v1/files/a/b%2Fc/d%20e');
    expect(json['getFile']).toEqual({ path: 'a/b%2Fc/d e' });
  });

  it('refuses query values of the wrong type with 400, naming the field', async () => {
    const bad = await rest('GET', '/v1/shelves/s1/books?pageSize=ten');
    expect(bad.status).toBe(400);
    expect(bad.json['message']).toContain('page_size');
    const flag = await rest('GET', '/v1/shelves/s1/books?includeHidden=maybe');
    expect(flag.status).toBe(400);
    expect(flag.json['message']).toContain('include');
  });

  it('answers 405 with Allow for a known path and another method, 404 for an unknown path', async () => {
    const wrong = await rest('DELETE', '/v1/shelves/s1/books');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(wrong.json['code']).toBe(12);
    const unknown = await rest('GET', '/v2/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ code: 5, message: 'no route for GET /v2/nothing' });
  });

  it('forwards metadata (authorization, custom headers), not hop-by-hop headers', async () => {
    const response = await rawRequest(gateway.port, {
      method: 'GET',
      path: '/v1/shelves/s1/settings',
      headers: {
        authorization: 'Bearer abc',
        'x-request-id': 'r-1',
        connection: 'keep-alive, x-hop',
        'x-hop': 'must not pass',
        'keep-alive': 'timeout=5',
        te: 'trailers',
      },
    });
    const metadata = (JSON.parse(response.body.toString()) as { metadata: Record<string, string> }).metadata;
    expect(metadata['authorization']).toBe('Bearer abc');
    expect(metadata['x-request-id']).toBe('r-1');
    for (const hop of ['connection', 'x-hop', 'keep-alive', 'te', 'host', 'content-length']) expect(metadata[hop]).toBeUndefined();
  });

  it('passes an upstream error through with its status details, as a google.rpc.Status body', async () => {
    const { status, json } = await rest('POST', '/v1/fail', { code: 9, message: 'not now', withDetails: true });
    expect(status).toBe(400);
    expect(json).toEqual({
      code: 9,
      message: 'not now',
      details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'code', description: 'as asked' }] }],
    });
  });
});

describe('the same routes learnt from a descriptor set (--descriptor-set)', () => {
  it('routes by the rules of a FileDescriptorSet file, as buf build -o writes it', async () => {
    const folder = libraryProtoFolder();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'descriptor-set-')), 'library.binpb');
    fs.writeFileSync(file, libraryDescriptorSet(folder));
    const fromSet = await startChildGateway(['--upstream', `127.0.0.1:${upstream.port}`, '--descriptor-set', file]);
    try {
      const response = await fetch(`http://127.0.0.1:${fromSet.port}/v1/shelves/s1/settings`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as Record<string, unknown>)['getShelfSettings']).toEqual({ name: 'shelves/s1/settings' });
    } finally {
      fromSet.child.kill('SIGTERM');
      expect(await fromSet.exited).toBe(0);
    }
  });
});
