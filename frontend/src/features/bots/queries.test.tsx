import { QueryClientProvider } from '@tanstack/react-query';
import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, json } from '../../test/fixtures';
import { testClient } from '../../test/render';
import { useBotTrades } from './queries';

const page = (botId: number) => ({ items: [{ id: botId * 10, bot_config_id: botId }], next_cursor: null });

describe('bot queries', () => {
  afterEach(() => vi.unstubAllGlobals());

  it("keeps a bot's rows on screen while the other order loads, never another bot's", async () => {
    const pending: Record<string, (r: Response) => void> = {};
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/bots/1/trades': (req: Request) => (new URL(req.url).searchParams.get('order') === 'asc' ? new Promise<Response>((r) => (pending.asc = r)) : json(page(1))),
        'GET /api/v1/bots/2/trades': () => new Promise<Response>((r) => (pending.bot2 = r)),
      }),
    );
    const client = testClient();
    const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
    const { result, rerender } = renderHook(({ id, order }: { id: number; order: 'asc' | 'desc' }) => useBotTrades(id, order), { wrapper, initialProps: { id: 1, order: 'desc' } });
    await waitFor(() => expect(result.current.data?.pages[0]?.items[0]?.id).toBe(10));
    rerender({ id: 1, order: 'asc' });
    expect(result.current.isPlaceholderData).toBe(true);
    expect(result.current.data?.pages[0]?.items[0]?.id).toBe(10);
    rerender({ id: 2, order: 'asc' });
    expect(result.current.data).toBeUndefined();
    expect(result.current.isPending).toBe(true);
  });
});
