import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, json } from '../test/fixtures';
import { renderAt } from '../test/render';
import { AuthPage } from './AuthPage';

async function fill(email: string, password: string) {
  await userEvent.type(screen.getByLabelText('Email'), email);
  await userEvent.type(screen.getByLabelText('Password'), password);
}

describe('AuthPage', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('signs in with the cookie and no stored token', async () => {
    const fetch = fakeFetch({
      'POST /api/v1/auth/login': { access_token: 'tok', token_type: 'bearer', expires_in: 60 },
      'GET /api/v1/users/me': { id: 1, email: 'a@b.co' },
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<AuthPage mode="login" />, { path: '/login-form', route: '/login-form' });
    await fill('a@b.co', 'a long password');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/$/));
    const login = fetch.calls.find((r) => r.url.endsWith('/auth/login'))!;
    expect(login.credentials).toBe('include');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('says a wrong password is wrong', async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'POST /api/v1/auth/login': () => json({ error: 'unauthorized', detail: 'bad credentials' }, 401) }));
    renderAt(<AuthPage mode="login" />);
    await fill('a@b.co', 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.');
  });

  it('shows the lockout with its wait from Retry-After', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({ 'POST /api/v1/auth/login': () => json({ error: 'too_many_requests', detail: 'locked' }, 429, { 'Retry-After': '240' }) }),
    );
    renderAt(<AuthPage mode="login" />);
    await fill('a@b.co', 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many failed attempts. Try again in 4 minutes.');
  });

  it("puts the API's 422 reasons on their fields", async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'POST /api/v1/auth/register': () =>
          json({ error: 'validation_error', detail: 'email: not valid', errors: [{ field: 'email', reason: 'value is not a valid email address' }] }, 422),
      }),
    );
    renderAt(<AuthPage mode="register" />);
    await fill('x@y', 'a long password');
    await userEvent.click(screen.getByRole('button', { name: 'Create an account' }));
    const email = screen.getByLabelText('Email');
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription(/value is not a valid email address/);
  });

  it('says why the session ended when the stream sent the app back here', () => {
    vi.stubGlobal('fetch', fakeFetch({}));
    renderAt(<AuthPage mode="login" />, { path: '/login-form', route: '/login-form', state: { ended: 'deactivated' } });
    expect(screen.getByText('This account was deactivated.')).toHaveClass('alert--info');
  });

  it('checks the password length before asking the API', async () => {
    const fetch = fakeFetch({});
    vi.stubGlobal('fetch', fetch);
    renderAt(<AuthPage mode="register" />);
    await fill('a@b.co', 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Create an account' }));
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(/at least 8 characters/);
    expect(fetch.calls).toHaveLength(0);
  });
});
