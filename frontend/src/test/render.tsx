import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';

export function testClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
}

function Where() {
  const l = useLocation();
  return <output data-testid="location">{l.pathname}</output>;
}

/** Render `ui` at `path` (matched by `route`), with a fresh query cache and a login route. */
export function renderAt(
  ui: ReactElement,
  { path = '/', route = '*', client = testClient(), state = undefined as unknown } = {},
) {
  const view = render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[{ pathname: path, state }]}>
        <Routes>
          <Route path="/login" element={<p>login page</p>} />
          <Route path={route} element={ui} />
        </Routes>
        <Where />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...view, client };
}
