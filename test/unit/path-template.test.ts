import { compilePathTemplate, PathTemplateError } from '../../gateway/rest/path-template';

type Bindings = Record<string, string> | undefined;

describe('compilePathTemplate match', () => {
  it.each<[string, string, string, Bindings]>([
    // literals
    ['/v1/settings', '', '/v1/settings', {}],
    ['/v1/settings', '', '/v1/setting', undefined],
    ['/v1/settings', '', '/v2/settings', undefined],
    ['/v1/settings', '', '/v1/settings/x', undefined],
    ['/v1/settings', '', '/v1', undefined],
    ['/v1/settings', '', '/v1/settings/', undefined],
    ['/v1/settings', '', '/v1//settings', undefined],
    ['/v1/settings', '', '//v1/settings', undefined],
    ['/v1/settings', '', 'v1/settings', undefined],
    ['/v1/settings', '', '', undefined],
    ['/v1/a~b', '', '/v1/a%7Eb', {}],
    ['/v1/a%20b', '', '/v1/a%20b', {}],
    ['/v1/settings', '', '/v1/%zz', undefined],
    // {id}
    ['/v1/books/{id}', '', '/v1/books/42', { id: '42' }],
    ['/v1/books/{id}', '', '/v1/books', undefined],
    ['/v1/books/{id}', '', '/v1/books/', undefined],
    ['/v1/books/{id}', '', '/v1/books/42/', undefined],
    ['/v1/books/{id}', '', '/v1/books/42/x', undefined],
    ['/v1/books/{id}', '', '/v1/shelves/42', undefined],
    ['/v1/books/{id}', '', '/v1/books/a:b', { id: 'a:b' }],
    ['/v1/books/{id=*}', '', '/v1/books/42', { id: '42' }],
    // single-segment decoding
    ['/v1/books/{id}', '', '/v1/books/a%20b', { id: 'a b' }],
    ['/v1/books/{id}', '', '/v1/books/%E2%98%BA', { id: '\u263A' }],
    ['/v1/books/{id}', '', '/v1/books/a%2Fb', { id: 'a/b' }],
    ['/v1/books/{id}', '', '/v1/books/a%2fb', { id: 'a/b' }],
    ['/v1/books/{id}', '', '/v1/books/a+b', { id: 'a+b' }],
    ['/v1/books/{id}', '', '/v1/books/%zz', undefined],
    ['/v1/books/{id}', '', '/v1/books/%', undefined],
    ['/v1/books/{id}', '', '/v1/books/%E2%98', undefined],
    ['/v1/books/{id}', '', '/v1/books/%FF', undefined],
    // multi-segment variable
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/p1/settings', { name: 'projects/p1/settings' }],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/p%2F1/settings', { name: 'projects/p%2F1/settings' }],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/p%2f1/settings', { name: 'projects/p%2f1/settings' }],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/a%20%E2%98%BA/settings', { name: 'projects/a \u263A/settings' }],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/p%zz/settings', undefined],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/p1/other', undefined],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/settings', undefined],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects/p1/x/settings', undefined],
    ['/v1/{name=projects/*/settings}', '', '/v1/projects//settings', undefined],
    ['/v1/{name=settings}', '', '/v1/settings', { name: 'settings' }],
    // **
    ['/v1/{name=**}', '', '/v1/a', { name: 'a' }],
    ['/v1/{name=**}', '', '/v1/a/b/c', { name: 'a/b/c' }],
    ['/v1/{name=**}', '', '/v1/a%2Fb/c%20d', { name: 'a%2Fb/c d' }],
    ['/v1/{name=**}', '', '/v1', { name: '' }],
    ['/v1/{name=**}', '', '/v1/', undefined],
    ['/v1/{name=**}', '', '/v1/a//b', undefined],
    ['/v1/{name=**}', '', '/v1/a/b/', undefined],
    ['/v1/{name=**}', '', '/v2/a', undefined],
    ['/v1/{name=shelves/**}', '', '/v1/shelves/a/b', { name: 'shelves/a/b' }],
    ['/v1/{name=shelves/**}', '', '/v1/shelves', { name: 'shelves' }],
    ['/{name=**}', '', '/', { name: '' }],
    ['/v1/**', '', '/v1/a/b', {}],
    ['/v1/*/x', '', '/v1/a/x', {}],
    ['/v1/*/x', '', '/v1/x', undefined],
    // several variables
    ['/v1/{a}/{b.c}', '', '/v1/x/y', { a: 'x', 'b.c': 'y' }],
    ['/v1/{a}/{b.c}', '', '/v1/x', undefined],
    ['/v1/{a}/{b.c}', '', '/v1/x/y/z', undefined],
    ['/v1/{a}/{b.c}', '', '/v1/x%2Fy/z%20', { a: 'x/y', 'b.c': 'z ' }],
    // verb
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/1:cancel', { name: 'messages/1' }],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/a:b:cancel', { name: 'messages/a:b' }],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/1%3Acancel', undefined],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/1', undefined],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/1:', undefined],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/1:undo', undefined],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/:cancel', undefined],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages/1:cancel/', undefined],
    ['/v1/{name=messages/*}:cancel', '', '/v1/messages:cancel', undefined],
    ['/v1/{name=messages/*}:cancel', '', '/', undefined],
    ['/v1/{name=**}:cancel', '', '/v1/a/b:cancel', { name: 'a/b' }],
    ['/v1/{name=**}:cancel', '', '/v1:cancel', { name: '' }],
    ['/v1/{id}:cancel', '', '/v1/1:cancel', { id: '1' }],
    ['/v1/settings:reset', '', '/v1/settings:reset', {}],
    ['/v1/settings:reset', '', '/v1/settings', undefined],
    ['/v1/settings:reset', '', '/v1/x:reset', undefined],
    // prefix
    ['/v1/{id}', '/admin', '/admin/v1/1', { id: '1' }],
    ['/v1/{id}', '/admin/api', '/admin/api/v1/1', { id: '1' }],
    ['/v1/{id}', '/admin', '/v1/1', undefined],
    ['/v1/{id}', '/admin', '/other/v1/1', undefined],
    ['/{name=**}', '/admin', '/admin', { name: '' }],
    ['/{name=**}', '/admin', '/admin/a/b', { name: 'a/b' }],
    ['/{name=**}', '/admin', '/admin/', undefined],
  ])('%s (prefix %j) on %j -> %j', (template, prefix, path, expected) => {
    const result = compilePathTemplate(template, prefix).match(path);
    if (expected === undefined) {
      expect(result).toBeUndefined();
    } else {
      expect(result === undefined ? undefined : { ...result }).toStrictEqual(expected);
    }
  });

  it('binds "__proto__" as an ordinary key', () => {
    const result = compilePathTemplate('/v1/{__proto__}').match('/v1/x');
    expect(result && Object.keys(result)).toEqual(['__proto__']);
    expect(result?.['__proto__']).toBe('x');
  });
});

describe('compilePathTemplate metadata', () => {
  it.each<[string, string, readonly (readonly string[])[], number]>([
    ['/v1/settings', '', [], 2],
    ['/v1/books/{id}', '', [['id']], 2],
    ['/v1/{name=projects/*/settings}', '', [['name']], 3],
    ['/v1/{name=**}', '', [['name']], 1],
    ['/v1/{a}/{b.c}', '', [['a'], ['b', 'c']], 1],
    ['/v1/{book.shelf.id}/*/**', '', [['book', 'shelf', 'id']], 1],
    ['/v1/{name=messages/*}:cancel', '', [['name']], 3],
    ['/v1/{id}', '/admin/api', [['id']], 3],
  ])('%s (prefix %j)', (template, prefix, variables, literalCount) => {
    const compiled = compilePathTemplate(template, prefix);
    expect(compiled.template).toBe(template);
    expect(compiled.variables).toEqual(variables);
    expect(compiled.literalCount).toBe(literalCount);
  });

  it('defaults to no prefix', () => {
    expect(compilePathTemplate('/v1/{id}').match('/v1/1')).toEqual({ id: '1' });
  });
});

describe('compilePathTemplate errors', () => {
  it.each<[string, string, string]>([
    ['', '', 'must start with "/"'],
    ['v1/settings', '', 'must start with "/"'],
    ['/', '', 'empty segment'],
    ['/v1/', '', 'empty segment'],
    ['/v1//settings', '', 'empty segment'],
    ['//v1', '', 'empty segment'],
    ['/v1/{name=}', '', 'empty segment'],
    ['/v1/{name=a/}', '', 'empty segment'],
    ['/v1/{name=/a}', '', 'empty segment'],
    ['/:cancel', '', 'empty segment'],
    ['/v1/{name', '', 'unbalanced "{"'],
    ['/v1/{name=projects/*', '', 'unbalanced "{"'],
    ['/v1/name}', '', 'unbalanced "}"'],
    ['/v1/}', '', 'unbalanced "}"'],
    ['/v1/{name}}', '', 'unbalanced "}"'],
    ['/v1/{name=projects/{id}}', '', 'nested variable'],
    ['/v1/{name{id}}', '', 'nested variable'],
    ['/v1/**/x', '', '"**" must be the last segment'],
    ['/v1/{name=**}/x', '', '"**" must be the last segment'],
    ['/v1/{name=**/x}', '', '"**" must be the last segment'],
    ['/**/**', '', '"**" must be the last segment'],
    ['/v1/{}', '', 'bad field path ""'],
    ['/v1/{=x}', '', 'bad field path ""'],
    ['/v1/{1abc}', '', 'bad field path "1abc"'],
    ['/v1/{a-b}', '', 'bad field path "a-b"'],
    ['/v1/{a..b}', '', 'bad field path "a..b"'],
    ['/v1/{.a}', '', 'bad field path ".a"'],
    ['/v1/{a.}', '', 'bad field path "a."'],
    ['/v1/{a b}', '', 'bad field path "a b"'],
    ['/v1/{a:b}', '', 'unexpected ":"'],
    ['/v1/{a}/{a}', '', 'field "a" is bound twice'],
    ['/v1/{a.b}/{a.b}', '', 'field "a.b" is bound twice'],
    ['/v1/{a}/{a.b}', '', 'field "a.b" overlaps "a"'],
    ['/v1/{a.b}/{a}', '', 'field "a" overlaps "a.b"'],
    ['/v1/a b', '', 'unexpected " "'],
    ['/v1/a*', '', 'unexpected "*"'],
    ['/v1/***', '', 'unexpected "*"'],
    ['/v1/x?y', '', 'unexpected "?"'],
    ['/v1/%zz', '', 'invalid percent-escape'],
    ['/v1/%2', '', 'invalid percent-escape'],
    ['/v1/%FF', '', 'percent-escape is not UTF-8'],
    ['/v1/x:', '', 'empty verb'],
    ['/v1/x:a:b', '', 'unexpected ":"'],
    ['/v1/x:a/b', '', 'unexpected "/"'],
    ['/v1/x:{a}', '', 'empty verb'],
    ['/v1/x', '/', 'bad prefix "/"'],
    ['/v1/x', 'admin', 'bad prefix "admin"'],
    ['/v1/x', '/admin/', 'bad prefix "/admin/"'],
    ['/v1/x', '/admin//v1', 'bad prefix "/admin//v1"'],
    ['/v1/x', '/{admin}', 'bad prefix "/{admin}"'],
    ['/v1/x', '/a%zz', 'bad prefix "/a%zz"'],
    ['/v1/x', '/a%FF', 'bad prefix "/a%FF"'],
  ])('%j (prefix %j): %s', (template, prefix, problem) => {
    let thrown: unknown;
    try {
      compilePathTemplate(template, prefix);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PathTemplateError);
    const message = (thrown as Error).message;
    expect(message).toContain(problem);
    expect(message).toContain(JSON.stringify(template));
  });
});

describe('literalPath', () => {
  it.each([
    ['/settings/oidc', '/admin/v1', '/admin/v1/settings/oidc'],
    ['/v1/books', '', '/v1/books'],
    ['/v1/{name}', '', undefined],
    ['/v1/*', '', undefined],
    ['/v1/books:search', '', undefined],
    ['/v1/a%20b', '', undefined],
  ])('%s under %j -> %j', (template, prefix, path) => {
    expect(compilePathTemplate(template, prefix).literalPath).toBe(path);
  });
});
