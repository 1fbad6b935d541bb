/** Internal errors are logged with their cause and never sent to the client. */
import { AdminService } from '../../gen/es/zitadel/admin_pb';
import { createDispatcher, unary } from '../../src/grpc/dispatcher';
import { Code } from '../../src/domain/code';
import type { AppError } from '../../src/domain/app-error';
import { decodeStatusDetails } from '../helpers/status-details';

it('answers INTERNAL "internal error" and hands the cause to the log only', async () => {
  const seen: AppError[] = [];
  const dispatch = createDispatcher({
    methods: [
      unary(AdminService.method.getOIDCSettings, () => {
        throw new Error('disk I/O error at /var/secret/path');
      }),
    ],
    authenticate: () => ({ tokenId: '1', role: 'IAM_OWNER' }),
    onError: (error) => seen.push(error),
  });
  const result = await dispatch({ method: '/zitadel.admin.v1.AdminService/GetOIDCSettings', metadata: {}, message: new Uint8Array() });
  expect(result.code).toBe(Code.Internal);
  expect(result.message).toBe('internal error (INTERNAL)');
  expect(decodeStatusDetails(result.details!).text).toBe('internal error');
  expect(Buffer.from(result.details!).toString('latin1')).not.toContain('/var/secret');
  expect((seen[0]?.cause as Error).message).toBe('disk I/O error at /var/secret/path');
});
