import { Secret, TOTP } from 'otpauth';

// The second factor (动态口令): RFC 6238 TOTP, 6 digits every 30 seconds, as every authenticator
// app on a clerk's phone understands. A code is accepted one step early or late (clock drift) and
// only once: the step it was accepted for is remembered.

const PERIOD_SECONDS = 30;
const ISSUER = '医档';

function totpFor(secret: string, username = ''): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: username,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans (or accepts typed in). */
export function totpUri(secret: string, username: string): string {
  return totpFor(secret, username).toString();
}

export function totpCode(secret: string, now: number = Date.now()): string {
  return totpFor(secret).generate({ timestamp: now });
}

/**
 * The 30-second step a code is valid for, or undefined. The caller accepts it only when the step is
 * later than the last one accepted for the account.
 */
export function totpStep(secret: string, code: string, now: number = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpFor(secret).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}
