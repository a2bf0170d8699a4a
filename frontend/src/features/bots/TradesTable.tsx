import { useMemo, useState } from 'react';
import type { Trade } from '../../api/client';
import { Button } from '../../components/ui';
import { dateTime, price, reasonText, signedMoney, tone } from '../../lib/format';

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
              <td className="num">{price(t.quote_quantity_filled)}</td>
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

/** Cumulative realised P&L after each closing trade, oldest first. */
export function cumulativePnl(trades: Trade[]): { time: number; value: number }[] {
  let total = 0;
  return [...trades]
    .sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id - b.id)
    .filter((t) => t.pnl !== null)
    .map((t) => {
      total += Number(t.pnl);
      return { time: Math.floor(new Date(t.timestamp).getTime() / 1000), value: Math.round(total * 1e8) / 1e8 };
    });
}
