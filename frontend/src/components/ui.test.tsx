import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { TableWrap } from './ui';

describe('TableWrap', () => {
  it('is a named region the keyboard can reach, so a wide table can be scrolled without a mouse', async () => {
    render(
      <TableWrap label="Trades">
        <table>
          <tbody>
            <tr>
              <td>1</td>
            </tr>
          </tbody>
        </table>
      </TableWrap>,
    );
    const region = screen.getByRole('region', { name: 'Trades' });
    expect(region).toHaveClass('table-wrap');
    expect(region).toContainElement(screen.getByRole('table'));
    await userEvent.tab();
    expect(region).toHaveFocus();
  });
});
