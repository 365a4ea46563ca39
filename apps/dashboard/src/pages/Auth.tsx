// Sign up and log in. Both end with a token kept in this browser (see session.ts).
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api';
import { useAction, useTitle } from '../hooks';
import { loadPasswordJudge, type PasswordVerdict } from '../password-meter';
import { session } from '../session';
import { ErrorNotice, Field, formMessage, Notice } from '../ui';

/** Where to go after signing in: the page that asked, if it is one of ours. */
function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next') ?? '';
  const ours = next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') && !next.startsWith('/signup');
  return ours && next !== '/' ? next : '/apps';
}

export function LoginPage() {
  useTitle('Log in');
  const [params] = useSearchParams();
  const next = useNext();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useAction(api.login);
  const [signedIn] = useState(() => !!session.token() && !params.get('expired'));
  if (signedIn) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await login.run(email, password);
    if (!answer) return;
    session.start(answer.token);
    navigate(next, { replace: true });
  };

  return (
    <AuthFrame title="Log in to Berth">
      {params.get('expired') && !login.error && <Notice kind="warning">Your session has ended. Log in again to carry on.</Notice>}
      <form onSubmit={submit} noValidate>
        <Field label="Email" error={login.error?.fields.email}>
          {(props) => <input {...props} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />}
        </Field>
        <Field label="Password" error={login.error?.fields.password}>
          {(props) => <input {...props} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <ErrorNotice error={formMessage(login.error, ['email', 'password'])} />
        <button className="button wide" type="submit" disabled={login.busy}>
          {login.busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="switch">
        New to Berth? <Link to={`/signup${next !== '/apps' ? `?next=${encodeURIComponent(next)}` : ''}`}>Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function SignupPage() {
  useTitle('Sign up');
  const next = useNext();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signup = useAction(api.signup);
  const strength = usePasswordStrength(password, email);
  // Only someone who arrives signed in is sent on; signing up here navigates by itself.
  const [signedIn] = useState(() => !!session.token());
  if (signedIn) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await signup.run(email, password);
    if (!answer) return;
    session.start(answer.token);
    navigate(next === '/apps' ? '/apps?welcome=1' : next, { replace: true });
  };

  return (
    <AuthFrame title="Create your Berth account">
      <form onSubmit={submit} noValidate>
        <Field label="Email" error={signup.error?.fields.email}>
          {(props) => <input {...props} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />}
        </Field>
        <Field label="Password" error={signup.error?.fields.password} hint={<StrengthHint verdict={password ? strength : undefined} />}>
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                // The refusal was about the old password; the hint now speaks for the new one.
                if (signup.error?.code === 'weak_password') signup.clearError();
              }}
            />
          )}
        </Field>
        <ErrorNotice error={formMessage(signup.error, ['email', 'password'])} />
        <button className="button wide" type="submit" disabled={signup.busy}>
          {signup.busy ? 'Creating your account…' : 'Sign up'}
        </button>
      </form>
      <p className="switch">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </AuthFrame>
  );
}

/** The estimator's verdict on the password being typed; undefined until its dictionaries load. */
function usePasswordStrength(password: string, email: string): PasswordVerdict | undefined {
  const [verdict, setVerdict] = useState<PasswordVerdict>();
  useEffect(() => {
    if (!password) return;
    let current = true;
    loadPasswordJudge().then(
      (judge) => current && setVerdict(judge(password, email)),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [password, email]);
  return verdict;
}

function StrengthHint({ verdict }: { verdict: PasswordVerdict | undefined }) {
  if (!verdict) return <>At least 8 characters, hard to guess. A few unrelated words make a strong one.</>;
  if (verdict.score >= 4) return <span data-strength="strong">Strong.</span>;
  if (verdict.score >= 3) return <span data-strength="good">Good enough. A word more makes it stronger.</span>;
  return (
    <span data-strength="weak">
      Too easy to guess{verdict.warning ? `: ${verdict.warning}` : ''}. {verdict.suggestions[0] ?? 'Add more words.'}
    </span>
  );
}

function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand big">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <span>Berth</span>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
      <p className="tagline">git push, and your app runs at a URL. Every branch gets its own preview.</p>
    </main>
  );
}
