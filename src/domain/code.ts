/**
 * The canonical status codes shared by gRPC, gRPC-Web and (mapped to HTTP
 * statuses) REST. Numbers are those of google.rpc.Code / grpc-status.
 * https://github.com/grpc/grpc/blob/master/doc/statuscodes.md
 */
export enum Code {
  OK = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}
