import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { badRequest } from '@berth/common';

/** zxcvbn scores 0–4; below this a password falls to a guessing attack that is online or slowly hashed. */
export const MIN_PASSWORD_SCORE = 3;

// The estimator's feedback comes as keys; these are Berth's words for them.
const WARNINGS: Record<string, string> = {
  straightRow: 'it is a straight row of keys',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats a character, such as "aaa"',
  extendedRepeat: 'it repeats a pattern, such as "abcabcabc"',
  sequences: 'it is a common sequence, such as "abc" or "123"',
  recentYears: 'it is built on a recent year',
  dates: 'it is built on a date',
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is one of the most used passwords',
  similarToCommon: 'it is close to one of the most used passwords',
  wordByItself: 'it is a single word',
  namesByThemselves: 'it is a name or surname on its own',
  commonNames: 'it is built on a common name or surname',
  userInputs: 'it contains your email address or the name Berth',
  pwned: 'it appeared in a data breach',
};
const SUGGESTIONS: Record<string, string> = {
  l33t: 'Swapping letters for look-alike digits ("@" for "a") does not help.',
  reverseWords: 'A word spelled backwards does not help.',
  allUppercase: 'Capitals throughout do not help.',
  capitalization: 'Capitalise inside words, not only the first letter.',
  dates: 'Leave out dates and years that belong to you.',
  recentYears: 'Leave out recent years.',
  associatedYears: 'Leave out years that belong to you.',
  sequences: 'Leave out sequences such as "abc" or "123".',
  repeated: 'Leave out repeated words and characters.',
  longerKeyboardPattern: 'Use a longer keyboard pattern, with turns.',
  anotherWord: 'Add more words, ones less common.',
  useWords: 'Use several words, and no common phrase.',
  noNeed: 'Symbols, digits or capitals are not required: length is what counts.',
  pwned: 'Use a password you have never used anywhere else.',
};

/** What the estimator said about a password, in Berth's words. */
export interface PasswordVerdict {
  score: number;
  warning: string | null;
  suggestions: string[];
}

let estimator: ZxcvbnFactory | undefined;

// Loaded on the first sign-up, not at start: the dictionaries are a few MB.
function load(): ZxcvbnFactory {
  if (!estimator) {
    const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    estimator = new Factory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  }
  return estimator;
}

/** Scores a password; `related` are words an attacker would try first (the email, "berth"). */
export function judgePassword(password: string, related: string[] = []): PasswordVerdict {
  // The estimator's cost grows with length; beyond 100 characters, length alone is enough.
  const result = load().check(password.slice(0, 100), ['berth', ...related.flatMap(userWords)]);
  const warning = result.feedback.warning ? (WARNINGS[result.feedback.warning] ?? null) : null;
  const suggestions = result.feedback.suggestions.map((key) => SUGGESTIONS[key]).filter((s): s is string => Boolean(s));
  return { score: result.score, warning, suggestions };
}

/** Throws a 400 `weak_password` saying why, when the password is too easy to guess. */
export function assertStrongPassword(password: string, related: string[] = []): void {
  const verdict = judgePassword(password, related);
  if (verdict.score >= MIN_PASSWORD_SCORE) return;
  const why = verdict.warning ? `: ${verdict.warning}` : '';
  const next = verdict.suggestions.length > 0 ? ` ${verdict.suggestions.join(' ')}` : '';
  throw badRequest(
    'weak_password',
    `This password is too easy to guess${why}.${next} Four or more unrelated words make a strong one that is easy to remember.`,
  );
}

/** An email contributes itself, its local part and the words in it. */
function userWords(value: string): string[] {
  const lower = value.trim().toLowerCase();
  const local = lower.split('@')[0];
  return [lower, local, ...local.split(/[^a-z0-9]+/).filter((w) => w.length >= 3)];
}
