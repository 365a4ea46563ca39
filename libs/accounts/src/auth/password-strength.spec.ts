import { AppError } from '@berth/common';
import { MIN_PASSWORD_SCORE, assertStrongPassword, judgePassword } from './password-strength';

describe('password strength', () => {
  it.each(['password', 'qwerty123', 'iloveyou1', 'berth2026', 'Password1!', 'aaaaaaaaaaaa', '12345678910'])('refuses %s', (password) => {
    expect(() => assertStrongPassword(password, ['ada@example.com'])).toThrow(AppError);
  });

  it('refuses a password made of the email', () => {
    expect(judgePassword('ada.lovelace2', []).score).toBeGreaterThanOrEqual(2);
    expect(() => assertStrongPassword('ada.lovelace2', ['ada.lovelace@example.com'])).toThrow(/your email address/);
  });

  it.each(['correct horse battery staple', 'long enough pw', 'a long password indeed', 'sup3r-secret-pw'])('accepts %s', (password) => {
    expect(() => assertStrongPassword(password, ['ada@example.com'])).not.toThrow();
  });

  it("says why in Berth's words, with what to do", () => {
    let error: AppError | undefined;
    try {
      assertStrongPassword('password', []);
    } catch (e) {
      error = e as AppError;
    }
    expect(error).toMatchObject({ status: 400, code: 'weak_password' });
    // Also the password field's message, so a form shows it beside the field.
    expect(error?.fields).toEqual({ password: error?.message });
    expect(error?.message).toBe(
      'This password is too easy to guess: it is one of the ten most used passwords. Add more words, ones less common. Four or more unrelated words make a strong one that is easy to remember.',
    );
  });

  it('judges a long password by its first 100 characters', () => {
    expect(judgePassword('x'.repeat(100_000)).score).toBeLessThan(MIN_PASSWORD_SCORE);
  });
});
