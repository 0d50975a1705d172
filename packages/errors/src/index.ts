export { errorCodes, httpStatusFor, isErrorCode } from './errorCodes.ts';
export type { ErrorCode } from './errorCodes.ts';
export { AppError, appError, badInput, notFound } from './AppError.ts';
export type { AppErrorDetails } from './AppError.ts';
export { createErrorFormatter } from './createErrorFormatter.ts';
export type { ErrorFormatterOptions } from './createErrorFormatter.ts';
