import { useMemo, useState } from 'react';
import type { Trade } from '../../api/client';
import { Button } from '../../components/ui';
import { dateTime, money, price, reasonText, signedMoney, tone } from '../../lib/format';

interface Props {
  trades: Trade[];
  hasMore: boolean;
  loadingMore: boolean;
  onMore: () => void;
}

/** A bot's trades, newest first by default; more pages come from the API's cursor. */
export function TradesTable({ trades, hasMore, loadingMore, onMore }: Props) {
  const [newestFirst, setNewestFirst] = useState(true);
  const rows = useMemo(() => {
    const sorted = [...trades].sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id - b.id);
    return newestFirst ? sorted.reverse() : sorted;
  }, [trades, newestFirst]);
  if (trades.length === 0) return <p className="muted" data-testid="trades-empty">No trades yet.</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="trades-table">
        <caption className="sr-only">Trades</caption>
        <thead>
          <tr>
            <th scope="col" aria-sort={newestFirst ? 'descending' : 'ascending'}>
              <button type="button" className="sort" onClick={() => setNewestFirst((v) => !v)}>
                Time <span aria-hidden="true">{newestFirst ? '↓' : '↑'}</span>
                <span className="sr-only">, sorted {newestFirst ? 'newest first' : 'oldest first'}</span>
              </button>
            </th>
            <th scope="col">Side</th>
            <th scope="col" className="num">
              Price
            </th>
            <th scope="col" className="num">
              Quantity
            </th>
            <th scope="col" className="num">
              Value
            </th>
            <th scope="col" className="num">
              P&amp;L
            </th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.id} data-testid={`trade-row-${t.id}`}>
              <td>{dateTime(t.timestamp)}</td>
              <td>
                <span className={`side side--${t.side}`}>{t.side}</span>
              </td>
              <td className="num">{price(t.price)}</td>
              <td className="num">{t.quantity_filled}</td>
              <td className="num">{money(t.quote_quantity_filled)}</td>
              <td className={`num tone-${tone(t.pnl)}`}>{t.pnl === null ? '—' : signedMoney(t.pnl)}</td>
              <td>{reasonText(t.reason)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {hasMore && (
        <Button onClick={onMore} busy={loadingMore}>
          Load older trades
        </Button>
      )}
    </div>
  );
}

/** Cumulative realised P&L after each closing trade, from 0 at the first trade, oldest first. */
export function cumulativePnl(trades: Trade[]): { time: number; value: number }[] {
  const sorted = [...trades].sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id - b.id);
  const seconds = (t: Trade) => Math.floor(new Date(t.timestamp).getTime() / 1000);
  const closing = sorted.filter((t) => t.pnl !== null);
  if (closing.length === 0) return [];
  let total = 0;
  const points = closing.map((t) => {
    total += Number(t.pnl);
    return { time: seconds(t), value: Math.round(total * 1e8) / 1e8 };
  });
  const start = seconds(sorted[0]!);
  return start < points[0]!.time ? [{ time: start, value: 0 }, ...points] : points;
}
