import { describe, expect, it, vi } from 'vitest';
import { api } from './client';

describe('api client', () => {
  it('sends the cookie and calls the versioned path', async () => {
    const fetchMock = vi.fn(async (_req: Request) => new Response(JSON.stringify({ id: 1, email: 'a@b.c' }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    }));
    const { data } = await api.GET('/api/v1/users/me', { fetch: fetchMock, baseUrl: 'http://t' });
    const req = fetchMock.mock.calls[0]![0];
    expect(req.url).toBe('http://t/api/v1/users/me');
    expect(req.credentials).toBe('include');
    expect(data).toEqual({ id: 1, email: 'a@b.c' });
  });
});
