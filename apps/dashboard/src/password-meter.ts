// The sign-up page's strength hint while typing: the same estimator and words as the API's
// check (libs/accounts/src/auth/password-feedback.ts). Its dictionaries are loaded on the
// first keystroke, as a chunk of their own, so no other page pays for them.
import type { PasswordVerdict } from '../../../libs/accounts/src/auth/password-feedback';

export type { PasswordVerdict };
export type PasswordJudge = (password: string, email: string) => PasswordVerdict;

let judge: Promise<PasswordJudge> | undefined;

export function loadPasswordJudge(): Promise<PasswordJudge> {
  judge ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('../../../libs/accounts/src/auth/password-feedback')]).then(
    ([core, common, feedback]) => {
      const estimator = new core.ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
      return (password, email) => feedback.verdictOf(estimator.check(password.slice(0, feedback.JUDGED_LENGTH), feedback.relatedWords([email])));
    },
  );
  // A chunk that failed to load (offline): no hint, and the next keystroke tries again.
  judge.catch(() => (judge = undefined));
  return judge;
}
