import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, json, makeBot } from '../test/fixtures';
import { renderAt } from '../test/render';
import { BotEditPage } from './BotEditPage';

const botReads = (fetch: ReturnType<typeof fakeFetch>) => fetch.calls.filter((r) => new URL(r.url).pathname.startsWith('/api/v1/bots/'));

describe('BotEditPage', () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each(['0', 'abc', '-1', '1e3', '2147483648'])('shows the not-found page for /bots/%s/edit without asking the API', async (id) => {
    const fetch = fakeFetch({ 'GET /api/v1/api-keys': [] });
    vi.stubGlobal('fetch', fetch);
    renderAt(<BotEditPage />, { path: `/bots/${id}/edit`, route: '/bots/:id/edit' });
    expect(await screen.findByTestId('not-found')).toHaveTextContent('This bot does not exist, or it is not yours.');
    await new Promise((r) => setTimeout(r, 20));
    expect(botReads(fetch)).toEqual([]);
  });

  it("shows the not-found page for another user's bot (the API's 404)", async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'GET /api/v1/api-keys': [] }));
    renderAt(<BotEditPage />, { path: '/bots/99/edit', route: '/bots/:id/edit' });
    expect(await screen.findByTestId('not-found')).toBeInTheDocument();
  });

  it('edits a bot of the caller', async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'GET /api/v1/api-keys': [], 'GET /api/v1/bots/7': () => json(makeBot({ id: 7, name: 'Seven' })) }));
    renderAt(<BotEditPage />, { path: '/bots/7/edit', route: '/bots/:id/edit' });
    expect(await screen.findByRole('heading', { name: 'Edit Seven' })).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveValue('Seven');
  });
});
