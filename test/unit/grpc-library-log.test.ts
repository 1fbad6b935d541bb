import { withholdSecrets } from '../../src/observability/grpc-library-log';

describe('withholdSecrets', () => {
  it.each([
    [
      'Failed to add metadata entry authorization: Bearer\u00a0abc123. Metadata string value "Bearer\u00a0abc123" contains illegal characters. For more information see x',
      'Failed to add metadata entry authorization: [withheld]',
    ],
    ['Failed to add metadata entry x-api-key: s3cr3t\t. Metadata string value "s3cr3t\t" contains illegal characters', 'Failed to add metadata entry x-api-key: [withheld]'],
    ['headers {"authorization":"Bearer abc"} sent', 'headers {"authorization":[withheld]'],
    ['authorization: token-without-scheme', 'authorization: [withheld]'],
    ['sent BEARER abc and basic dXNlcjpwdw==', 'sent BEARER [withheld] and basic [withheld]'],
    ['Received call to method /zitadel.admin.v1.AdminService/GetOIDCSettings', 'Received call to method /zitadel.admin.v1.AdminService/GetOIDCSettings'],
  ])('%j -> %j', (text, expected) => {
    expect(withholdSecrets(text)).toBe(expected);
  });
});
