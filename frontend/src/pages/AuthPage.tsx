import { type FormEvent, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { Field } from '../components/Field';
import { Alert, Button } from '../components/ui';
import { useLogin, useRegister, waitText } from '../features/auth/session';

const ENDED: Record<string, string> = {
  logged_out: 'You were signed out.',
  expired: 'Your session expired. Please sign in again.',
  deactivated: 'This account was deactivated.',
  unauthorized: 'Your session ended. Please sign in again.',
};

/** Sign in or create an account; the API sets an HttpOnly cookie, nothing is stored here. */
export function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const navigate = useNavigate();
  const location = useLocation();
  const ended = (location.state as { ended?: string } | null)?.ended;
  const login = useLogin();
  const register = useRegister();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(ended ? (ENDED[ended] ?? 'Please sign in again.') : null);
  const busy = login.isPending || register.isPending;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setMessage(null);
    const local: Record<string, string> = {};
    if (!email.includes('@')) local.email = 'enter an email address';
    if (mode === 'register' && password.length < 8) local.password = 'at least 8 characters';
    if (!password) local.password = 'required';
    if (Object.keys(local).length) return setErrors(local);
    try {
      if (mode === 'register') {
        await register.mutateAsync({ email, password });
        setNotice(null);
      }
      await login.mutateAsync({ email, password });
      const to = (location.state as { from?: string } | null)?.from ?? '/';
      void navigate(to, { replace: true });
    } catch (err) {
      if (!(err instanceof ApiError)) return setMessage('The server cannot be reached. Try again in a moment.');
      if (err.status === 422) setErrors(err.fieldErrors());
      if (err.status === 429) {
        const wait = err.retryAfter ?? 60;
        setMessage(`Too many failed attempts. Try again in ${waitText(wait)}.`);
      } else if (err.status === 401) setMessage('Wrong email or password.');
      else if (err.status === 409) setErrors({ email: 'an account with this email already exists' });
      else if (err.status !== 422) setMessage(err.message);
    }
  }

  const title = mode === 'login' ? 'Sign in' : 'Create an account';
  return (
    <main id="main" className="auth" tabIndex={-1}>
      <div className="auth__panel">
        <p className="brand brand--large" aria-hidden="true">
          tradebot
        </p>
        <h1>{title}</h1>
        {notice && <Alert tone="info">{notice}</Alert>}
        {message && <Alert>{message}</Alert>}
        <form onSubmit={submit} noValidate aria-label={title}>
          <Field label="Email" error={errors.email}>
            {(p) => (
              <input {...p} type="email" name="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
            )}
          </Field>
          <Field label="Password" error={errors.password} help={mode === 'register' ? 'At least 8 characters.' : undefined}>
            {(p) => (
              <input
                {...p}
                type="password"
                name="password"
                autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={busy} className="btn--block">
            {title}
          </Button>
        </form>
        <p className="auth__switch">
          {mode === 'login' ? (
            <>
              New here? <Link to="/register">Create an account</Link>
            </>
          ) : (
            <>
              Have an account? <Link to="/login">Sign in</Link>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
