import { checkRequest } from '../../src/grpc/request-check';

/** Which requests reach a gRPC method (POST, application/grpc, a spec grpc-timeout), and how the others are answered. */
describe('checkRequest', () => {
  const grpc = (extra: Record<string, string> = {}) => ({ ':method': 'POST', 'content-type': 'application/grpc', ...extra });

  it.each([
    ['POST application/grpc', grpc()],
    ['application/grpc+proto', grpc({ 'content-type': 'application/grpc+proto' })],
    ['upper case and a parameter', grpc({ 'content-type': 'Application/GRPC; charset=utf-8' })],
    ['grpc-timeout 1S', grpc({ 'grpc-timeout': '1S' })],
    ['grpc-timeout of 8 digits', grpc({ 'grpc-timeout': '99999999n' })],
    ['every unit', grpc({ 'grpc-timeout': '5m' })],
  ])('lets through %s', (_, headers) => {
    expect(checkRequest(headers)).toBeUndefined();
  });

  it.each(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'post'])('answers %s with 405 and allow: POST', (method) => {
    expect(checkRequest(grpc({ ':method': method }))).toEqual({ kind: 'http', status: 405, headers: { allow: 'POST' } });
  });

  it.each([undefined, '', 'text/plain', 'application/grpc-web', 'application/grpc-web+proto', 'application/grpc+json', 'application/grpcx'])(
    'answers content type %j with 415',
    (type) => {
      const headers: Record<string, string> = { ':method': 'POST' };
      if (type !== undefined) headers['content-type'] = type;
      expect(checkRequest(headers)).toMatchObject({ kind: 'http', status: 415 });
    },
  );

  it.each(['abc', '', '1', 'S', '123456789S', '-1S', '1.5S', '1 S', '10x', '1SS'])('answers grpc-timeout %j with INVALID_ARGUMENT', (timeout) => {
    expect(checkRequest(grpc({ 'grpc-timeout': timeout }))).toEqual({ kind: 'grpc', code: 3, message: 'malformed grpc-timeout' });
  });
});
