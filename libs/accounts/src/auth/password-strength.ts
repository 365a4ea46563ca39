import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { AppError } from '@berth/common';
import { JUDGED_LENGTH, relatedWords, verdictOf, weakPasswordMessage, type PasswordVerdict } from './password-feedback';

export { MIN_PASSWORD_SCORE } from './password-feedback';

let estimator: ZxcvbnFactory | undefined;

// Loaded on the first sign-up, not at start: the dictionaries are a few hundred KB.
function load(): ZxcvbnFactory {
  if (!estimator) {
    const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    estimator = new Factory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  }
  return estimator;
}

/** Scores a password; `related` are the user's own words (the email), tried first by an attacker. */
export function judgePassword(password: string, related: string[] = []): PasswordVerdict {
  return verdictOf(load().check(password.slice(0, JUDGED_LENGTH), relatedWords(related)));
}

/** Throws a 400 `weak_password` saying why (also as the password field's message), when the password is too easy to guess. */
export function assertStrongPassword(password: string, related: string[] = []): void {
  const message = weakPasswordMessage(judgePassword(password, related));
  if (message) throw new AppError(400, 'weak_password', message, { password: message });
}
