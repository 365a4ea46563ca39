// What the password strength estimator (zxcvbn-ts) says, in Berth's words. Pure: the API
// (password-strength.ts) and the dashboard's sign-up page (which loads it lazily) share it.
import type { ZxcvbnResult } from '@zxcvbn-ts/core';

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

/** Scores 0–4 and the estimator's feedback, in Berth's words. */
export function verdictOf(result: Pick<ZxcvbnResult, 'score' | 'feedback'>): PasswordVerdict {
  const warning = result.feedback.warning ? (WARNINGS[result.feedback.warning] ?? null) : null;
  const suggestions = result.feedback.suggestions.map((key) => SUGGESTIONS[key]).filter((s): s is string => Boolean(s));
  return { score: result.score, warning, suggestions };
}

/** Why a password is refused and what to do, when its score is too low; null when it is strong enough. */
export function weakPasswordMessage(verdict: PasswordVerdict): string | null {
  if (verdict.score >= MIN_PASSWORD_SCORE) return null;
  const why = verdict.warning ? `: ${verdict.warning}` : '';
  const next = verdict.suggestions.length > 0 ? ` ${verdict.suggestions.join(' ')}` : '';
  return `This password is too easy to guess${why}.${next} Four or more unrelated words make a strong one that is easy to remember.`;
}

/** Words an attacker tries first: "berth", and an email with its local part and the words in it. */
export function relatedWords(related: string[]): string[] {
  return [
    'berth',
    ...related.flatMap((value) => {
      const lower = value.trim().toLowerCase();
      const local = lower.split('@')[0];
      return [lower, local, ...local.split(/[^a-z0-9]+/).filter((w) => w.length >= 3)];
    }),
  ];
}

/** The estimator's cost grows with length; beyond this many characters, length alone is enough. */
export const JUDGED_LENGTH = 100;
