export { errorCodes, httpStatusFor, isErrorCode } from './errorCodes.ts';
export type { ErrorCode } from './errorCodes.ts';
export { AppError, appError, badInput, notFound, requestError, toAppError, withHttpStatus } from './AppError.ts';
export type { AppErrorDetails, HttpHeaders } from './AppError.ts';
export { createErrorFormatter } from './createErrorFormatter.ts';
export type { ErrorFormatterOptions } from './createErrorFormatter.ts';
