// Sorts AWS SDK failures into the engine's SourceError kinds: expired credentials, access denied (with the IAM action), throttling, network.
import { sourceFailureText } from '../core/coverage';
import { SourceError } from '../core/ports';

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const DENIED =
  /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnauthorizedAccess|Client\.UnauthorizedOperation|AuthorizationError)$|AccessDenied/;
// EC2 says RequestExpired (and AuthFailure) where the other services say ExpiredToken(Exception).
const EXPIRED =
  /^(ExpiredToken|ExpiredTokenException|RequestExpired|AuthFailure|TokenRefreshRequired|InvalidClientTokenId|UnrecognizedClientException|InvalidSignatureException|CredentialsProviderError|SSOTokenProviderFailure)$/;
const THROTTLED =
  /^(Throttling|ThrottlingException|ThrottledException|TooManyRequestsException|RequestLimitExceeded|RequestThrottled|RequestThrottledException|LimitExceededException|SlowDown)$/;
const NETWORK =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|TimeoutError|NetworkingError|RequestTimeout)$/;
const NETWORK_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|getaddrinfo|socket hang up|timed out/i;

export function isAbort(err: unknown): boolean {
  const e = err as SdkErrorLike;
  return e?.name === 'AbortError' || e?.name === 'RequestAbortedError';
}

/**
 * A SourceError for an SDK failure of `action` (an IAM action such as `cloudtrail:LookupEvents`), or the
 * error itself when it is a cancellation. `profile` goes into the advice for expired SSO sessions. The SDK's
 * error is kept as the `cause`; the message quotes only its first line.
 */
export function classifyAwsError(err: unknown, action: string, endpoint: string, profile?: string): Error {
  if (isAbort(err) || SourceError.is(err)) return err as Error;
  const e = (err ?? {}) as SdkErrorLike;
  // A Node socket error is a plain `Error` whose `code` says what happened (ECONNRESET, ENOTFOUND...).
  const code = (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? e.Code ?? '';
  const message = (e.message ?? String(err)).split('\n')[0];
  const login = profile ? `aws sso login --profile ${profile}` : 'aws sso login';
  const cause = { cause: err };
  if (DENIED.test(code) || (e.$metadata?.httpStatusCode === 403 && !EXPIRED.test(code))) {
    return new SourceError('access-denied', `${action} was denied: ${message}`, action, cause);
  }
  if (EXPIRED.test(code) || /token (has )?expired|session.*expired|sso session/i.test(message)) {
    return new SourceError(
      'expired-credentials',
      `credentials expired or missing (${message}); if this profile uses IAM Identity Center, run \`${login}\``,
      undefined,
      cause,
    );
  }
  if (THROTTLED.test(code)) return new SourceError('throttled', `${action} was throttled after retries: ${message}`, undefined, cause);
  if (NETWORK.test(code) || NETWORK.test(e.code ?? '') || NETWORK_MESSAGE.test(message)) {
    return new SourceError('network', `could not reach ${endpoint} for ${action}: ${message}`, undefined, cause);
  }
  return new SourceError('other', `${action} failed: ${code ? `${code}: ` : ''}${message}`, undefined, cause);
}

/** A failure as coverage words it: `access denied: needs logs:StartQuery`, else `<kind>: <message>` (the engine's wording). */
export function iamAdvice(err: Pick<SourceError, 'kind' | 'message' | 'iamAction'>): string {
  return sourceFailureText(err);
}
