import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiKey } from '../api/client';
import { fakeFetch, json } from '../test/fixtures';
import { renderAt } from '../test/render';
import { ApiKeysPage } from './ApiKeysPage';

const key = {
  id: 4,
  label: 'main',
  api_key_masked: '****abcd',
  is_valid: false,
  status: 'unchecked' as const,
  refused_reason: null,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-01T10:00:00Z',
};
const REASON = 'Binance: AuthenticationError: binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}';

describe('ApiKeysPage', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('adds a key and never shows the secret again', async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'GET /api/v1/api-keys': [], 'POST /api/v1/api-keys': () => json(key, 201) }));
    renderAt(<ApiKeysPage />);
    await screen.findByTestId('keys-empty');
    await userEvent.type(screen.getByLabelText('API key'), 'AAAAbbbbabcd');
    await userEvent.type(screen.getByLabelText('Secret key'), 'SUPERSECRET123');
    await userEvent.click(screen.getByRole('button', { name: 'Add key' }));
    expect(await screen.findByText(/added. Its secret is stored encrypted/)).toBeInTheDocument();
    expect(screen.getByTestId('api-key-row-4')).toHaveTextContent('****abcd');
    expect(screen.getByLabelText('Secret key')).toHaveValue('');
    expect(document.body.textContent).not.toContain('SUPERSECRET123');
  });

  it('shows why a delete is refused (409)', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/api-keys': [key],
        'DELETE /api/v1/api-keys/4': () => json({ error: 'conflict', detail: 'an active bot trades with this key' }, 409),
      }),
    );
    renderAt(<ApiKeysPage />);
    const row = await screen.findByTestId('api-key-row-4');
    await userEvent.click(within(row).getByRole('button', { name: 'Delete key ****abcd' }));
    await userEvent.click(screen.getByRole('button', { name: 'Delete the key' }));
    expect(await within(row).findByRole('alert')).toHaveTextContent('Not deleted: an active bot trades with this key');
    expect(screen.getByTestId('api-key-row-4')).toBeInTheDocument();
  });

  it('validates a key and shows the balances', async () => {
    const validated = { key: { ...key, is_valid: true, status: 'valid' }, valid: true, balances: { USDT: '100.5', BTC: '0.01' } };
    const fetch = fakeFetch({ 'GET /api/v1/api-keys': [key], 'POST /api/v1/api-keys/4/validate': validated });
    vi.stubGlobal('fetch', fetch);
    renderAt(<ApiKeysPage />);
    const row = await screen.findByTestId('api-key-row-4');
    expect(screen.getByRole('region', { name: 'Keys table' })).toHaveAttribute('tabindex', '0');
    await userEvent.selectOptions(within(row).getByLabelText('Validate against'), 'testnet');
    await userEvent.click(within(row).getByRole('button', { name: 'Validate key ****abcd' }));
    expect(await within(row).findByText(/Balances: USDT 100.5, BTC 0.01/)).toBeInTheDocument();
    await waitFor(() => expect(within(row).getByText('valid')).toBeInTheDocument());
    expect(fetch.calls.at(-1)!.url).toContain('mode=testnet');
  });

  it('tells a refused key, with the reason, from a valid one and one never checked', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/api-keys': [
          { ...key, id: 1, is_valid: true, status: 'valid' },
          { ...key, id: 2, status: 'refused', refused_reason: REASON },
          { ...key, id: 3 },
        ],
      }),
    );
    renderAt(<ApiKeysPage />);
    const status = async (id: number) => within(await screen.findByTestId(`api-key-row-${id}`)).getByTestId('key-status');
    expect(await status(1)).toHaveTextContent(/^valid$/);
    expect(await status(2)).toHaveTextContent(`refused${REASON}`);
    expect(await status(3)).toHaveTextContent(/^not checked$/);
  });

  it('shows a refusal at validation as the key\'s status, reason included', async () => {
    let listed: ApiKey[] = [key];
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/api-keys': () => json(listed),
        'POST /api/v1/api-keys/4/validate': () => {
          listed = [{ ...key, status: 'refused', refused_reason: REASON }];
          const detail = `the exchange refused this key: ${REASON}`;
          return json({ error: 'invalid_api_key', detail, errors: [{ field: 'api_key', reason: 'refused by the exchange' }] }, 422);
        },
      }),
    );
    renderAt(<ApiKeysPage />);
    const row = await screen.findByTestId('api-key-row-4');
    expect(within(row).getByTestId('key-status')).toHaveTextContent('not checked');
    await userEvent.click(within(row).getByRole('button', { name: 'Validate key ****abcd' }));
    expect(await within(row).findByRole('status')).toHaveTextContent('Binance refused the key');
    await waitFor(() => expect(within(row).getByTestId('key-status')).toHaveTextContent(`refused${REASON}`));
    expect(within(row).queryByRole('alert')).toBeNull();
  });
});
