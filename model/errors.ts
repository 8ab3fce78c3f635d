// The error catalogue every floor shares. Input errors are non-retryable;
// anything else is treated as transient and retried.
import { ApplicationFailure } from '@temporalio/common';

export const ErrorType = {
  /** The request itself is wrong (bad spec, bad parameter, unknown option). */
  InvalidInput: 'InvalidInput',
  /** An object the request names does not exist. */
  NotFound: 'NotFound',
  /** The caller, or nightshift's own identity, lacks a permission. */
  Forbidden: 'Forbidden',
  /** The platform cannot do this (e.g. a kernel feature is missing). */
  Unsupported: 'Unsupported',
  /** A limit or safety rule refuses the request. */
  Refused: 'Refused',
  /** Worth retrying: the network, a server, a timeout. */
  Transient: 'Transient',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

export const NON_RETRYABLE: string[] = [
  ErrorType.InvalidInput,
  ErrorType.NotFound,
  ErrorType.Forbidden,
  ErrorType.Unsupported,
  ErrorType.Refused,
];

export function failure(type: ErrorTypeName, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: NON_RETRYABLE.includes(type),
    ...(details === undefined ? {} : { details: [details] }),
  });
}
