import { useState } from 'react';
import type { Trade } from '../../api/client';
import { Alert, Button, Spinner, TableWrap } from '../../components/ui';
import { amount, dateTime, money, price, reasonText, signedMoney, tone } from '../../lib/format';
import type { TradeOrder } from '../../lib/queryKeys';
import { useBotTrades } from './queries';

interface Props {
  trades: Trade[];
  order: TradeOrder;
  onOrder: (order: TradeOrder) => void;
  /** The other order's rows are on their way (the shown ones are the previous order's). */
  sorting: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onMore: () => void;
}

/** A fee as paid: its amount in its asset (a BNB fee is not quote money). */
const fee = (t: Trade) => (t.commission_amount === null ? '—' : `${amount(t.commission_amount)} ${t.commission_asset ?? ''}`.trim());

/** A page of trades in the order the API sorted them; more pages come from its cursor. */
export function TradesTable({ trades, order, onOrder, sorting, hasMore, loadingMore, onMore }: Props) {
  if (trades.length === 0) return <p className="muted" data-testid="trades-empty">No trades yet.</p>;
  const newestFirst = order === 'desc';
  return (
    <TableWrap label="Trades">
      <table className="table" data-testid="trades-table" aria-busy={sorting || undefined}>
        <caption className="sr-only">Trades</caption>
        <thead>
          <tr>
            <th scope="col" aria-sort={newestFirst ? 'descending' : 'ascending'}>
              <button type="button" className="sort" onClick={() => onOrder(newestFirst ? 'asc' : 'desc')}>
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
              Fee
            </th>
            <th scope="col" className="num">
              P&amp;L
            </th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {trades.map((t) => (
            <tr key={t.id} data-testid={`trade-row-${t.id}`}>
              <td>{dateTime(t.timestamp)}</td>
              <td>
                <span className={`side side--${t.side}`}>{t.side}</span>
              </td>
              <td className="num">{price(t.price)}</td>
              <td className="num">{t.quantity_filled}</td>
              <td className="num">{money(t.quote_quantity_filled)}</td>
              <td className="num">{fee(t)}</td>
              <td className={`num tone-${tone(t.pnl)}`}>{t.pnl === null ? '—' : signedMoney(t.pnl)}</td>
              <td>{reasonText(t.reason)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {hasMore && (
        <Button onClick={onMore} busy={loadingMore}>
          {newestFirst ? 'Load older trades' : 'Load newer trades'}
        </Button>
      )}
    </TableWrap>
  );
}

/** A bot's trades, sorted by the API over all of them (not only the pages loaded). */
export function BotTrades({ botId }: { botId: number }) {
  const [order, setOrder] = useState<TradeOrder>('desc');
  const trades = useBotTrades(botId, order);
  if (trades.isPending) return <Spinner label="Loading trades" />;
  if (trades.isError) return <Alert>Trades could not be loaded: {trades.error.message}</Alert>;
  return (
    <TradesTable
      trades={trades.data.pages.flatMap((p) => p.items)}
      order={order}
      onOrder={setOrder}
      sorting={trades.isPlaceholderData}
      hasMore={Boolean(trades.hasNextPage) && !trades.isPlaceholderData}
      loadingMore={trades.isFetchingNextPage}
      onMore={() => void trades.fetchNextPage()}
    />
  );
}
