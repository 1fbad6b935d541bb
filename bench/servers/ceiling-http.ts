/**
 * The HTTP ceiling: a bare node:http server that reads the body, parses it
 * as JSON (as REST PUT must) and answers a constant JSON of the real
 * answer's shape. What node:http and this machine can do at best.
 *
 * node dist/bench/servers/ceiling-http.js <port>
 */
import http from 'node:http';

const port = Number(process.argv[2]);

const details = {
  sequence: '1000003',
  creationDate: '2026-11-26T15:26:42.192Z',
  changeDate: '2026-11-26T15:31:07.540Z',
  resourceOwner: '647897833548873536',
};
const putAnswer = Buffer.from(JSON.stringify({ details }));
const getAnswer = Buffer.from(
  JSON.stringify({
    settings: {
      details,
      accessTokenLifetime: '43200s',
      idTokenLifetime: '43200s',
      refreshTokenIdleExpiration: '2592000s',
      refreshTokenExpiration: '7776000s',
    },
  }),
);

const server = http.createServer({ keepAliveTimeout: 5000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let answer = getAnswer;
    if (request.method !== 'GET') {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        answer = putAnswer;
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end('{"code":3,"message":"bad JSON"}');
        return;
      }
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    response.end(answer);
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'ready', port })}\n`));
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
