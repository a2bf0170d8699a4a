import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, makeBot } from '../../test/fixtures';
import { renderAt } from '../../test/render';
import { BotCard } from './BotCard';

/** WCAG's contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = hex.match(/[0-9a-f]{2}/gi)!.map((h) => {
      const v = parseInt(h, 16) / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** The stylesheet's rules (innermost blocks) and its light and dark custom properties. */
function stylesheet() {
  const css = readFileSync(resolve(import.meta.dirname, '../../styles.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const rules = [...css.matchAll(/([^{}]+)\{([^{}]*)\}/g)].map(([, selector, body]) => ({ selectors: selector!.split(',').map((s) => s.trim()), body: body! }));
  const vars = (body: string) => Object.fromEntries([...body.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map(([, k, v]) => [k!, v!.trim()]));
  const [light, dark] = rules.filter((r) => r.selectors.includes(':root')).map((r) => vars(r.body));
  return { rules, themes: { light: light!, dark: { ...light!, ...dark! } } };
}

/** The value the last rule for `selector` gives `property`, with var() resolved in `theme`. */
function value(css: ReturnType<typeof stylesheet>, selector: string, property: string, theme: Record<string, string>): string {
  const set = css.rules.filter((r) => r.selectors.includes(selector)).flatMap((r) => [...r.body.matchAll(new RegExp(`(?:^|;)\\s*${property}:\\s*([^;]+)`, 'g'))].map((m) => m[1]!.trim()));
  const raw = set.at(-1)!;
  return raw.replace(/var\((--[\w-]+)\)/, (_, name: string) => theme[name]!);
}

describe('BotCard', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows the live state in words, the position and how long ago it traded', () => {
    vi.stubGlobal('fetch', fakeFetch({}));
    const lastTrade = new Date(Date.now() - 3 * 60_000 - 5_000).toISOString();
    const bot = makeBot({ id: 1 }, { in_position: true, entry_price: '50000', current_position_size_coins: '0.01', stop_loss_price: '49000', last_trade_at: lastTrade });
    renderAt(<BotCard bot={bot} />);
    const dot = screen.getByTestId('bot-live-dot');
    expect(dot).toHaveTextContent('Connecting'); // no stream in this test: its first state
    expect(dot).toHaveAccessibleName('Live updates: Connecting');
    const position = screen.getByTestId('position');
    expect(within(position).getByText('Entry').nextSibling).toHaveTextContent('50,000.00');
    expect(within(position).getByText('Size').nextSibling).toHaveTextContent('0.01');
    expect(within(position).getByText('Stop').nextSibling).toHaveTextContent('49,000.00');
    expect(within(position).getByText('Trailing stop').nextSibling).toHaveTextContent('—');
    const ago = within(screen.getByTestId('last-trade')).getByText('3 minutes ago');
    expect(ago).toHaveAttribute('dateTime', lastTrade);
  });

  it.each(['light', 'dark'] as const)('draws the live dot and its label with enough contrast on a card (%s)', (name) => {
    const css = stylesheet();
    const theme = css.themes[name];
    const card = theme['--surface']!;
    for (const status of ['connecting', 'connected', 'reconnecting', 'offline']) {
      expect(contrast(value(css, `.live--${status} .live__dot`, 'background', theme), card), status).toBeGreaterThanOrEqual(3);
    }
    expect(contrast(value(css, '.live', 'color', theme), card)).toBeGreaterThanOrEqual(4.5);
  });
});
