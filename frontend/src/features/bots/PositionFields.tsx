import { price } from '../../lib/format';
import type { LiveBot } from '../live/types';

/** The open position's fields (entry, size, the latest price and the three exit levels), as
 * `<dt>`/`<dd>` pairs for the `<dl>` a card or the detail page puts them in. */
export function PositionFields({ live }: { live: LiveBot }) {
  const fields: [string, string][] = [
    ['Entry', price(live.entry_price)],
    ['Size', live.position_size ?? '—'],
    ['Price', price(live.price)],
    ['Stop', price(live.stop_loss_price)],
    ['Take profit', price(live.take_profit_price)],
    ['Trailing stop', price(live.trailing_stop_price)],
  ];
  return fields.map(([label, value]) => (
    <div key={label}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  ));
}
