// Slack's error codes mapped onto our error catalogue, so Temporal retries
// what is transient and fails fast on what a retry cannot fix.
import { ErrorCode, type WebAPIPlatformError } from '@slack/web-api';
import { ErrorType, failure, type ErrorTypeName } from '../../model/index.ts';

const BY_CODE: Record<string, ErrorTypeName> = {
  invalid_auth: ErrorType.Forbidden,
  not_authed: ErrorType.Forbidden,
  token_revoked: ErrorType.Forbidden,
  account_inactive: ErrorType.Forbidden,
  missing_scope: ErrorType.Forbidden,
  channel_not_found: ErrorType.NotFound,
  not_in_channel: ErrorType.NotFound,
  is_archived: ErrorType.Refused,
  invalid_blocks: ErrorType.InvalidInput,
  invalid_arguments: ErrorType.InvalidInput,
  invalid_metadata_format: ErrorType.InvalidInput,
  no_text: ErrorType.InvalidInput,
  msg_too_long: ErrorType.InvalidInput,
};

/** The Slack error code of a failed call, if Slack answered with one. */
export function slackCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && err.code === ErrorCode.PlatformError) {
    return (err as WebAPIPlatformError).data.error;
  }
  return undefined;
}

/** Rethrow a Slack failure as a typed activity failure. */
export function asFailure(err: unknown, what: string): Error {
  const code = slackCode(err);
  const type = (code ? BY_CODE[code] : undefined) ?? ErrorType.Transient;
  return failure(type, `${what}: ${code ?? (err instanceof Error ? err.message : String(err))}`);
}
