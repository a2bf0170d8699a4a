import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { makeBot } from '../../test/fixtures';
import { BotFormView } from './BotFormView';

describe('BotFormView', () => {
  it('shows rule errors on their fields and sends nothing', async () => {
    const submit = vi.fn();
    render(<BotFormView apiKeys={[]} onSubmit={submit} submitLabel="Create bot" />);
    await userEvent.type(screen.getByLabelText('Name'), 'x');
    await userEvent.clear(screen.getByLabelText('EMA fast'));
    await userEvent.type(screen.getByLabelText('EMA fast'), '50');
    await userEvent.click(screen.getByRole('button', { name: 'Create bot' }));
    expect(screen.getByLabelText('EMA fast')).toHaveAccessibleDescription(/must be less than ema_slow \(21\)/);
    expect(screen.getByLabelText('EMA fast')).toHaveAttribute('aria-invalid', 'true');
    expect(submit).not.toHaveBeenCalled();
  });

  it("puts the server's field errors on the matching inputs", async () => {
    const submit = vi.fn().mockRejectedValue(
      new ApiError(422, { error: 'validation_error', detail: '...', errors: [{ field: 'position_size_fixed', reason: 'too much' }, { field: 'symbol', reason: 'unknown market' }] }, null),
    );
    render(<BotFormView apiKeys={[]} onSubmit={submit} submitLabel="Create bot" />);
    await userEvent.type(screen.getByLabelText('Name'), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Create bot' }));
    await waitFor(() => expect(screen.getByLabelText('Symbol')).toHaveAccessibleDescription(/unknown market/));
    expect(screen.getByLabelText('Position size (%)')).toHaveAccessibleDescription(/too much/);
    expect(submit).toHaveBeenCalledWith(expect.objectContaining({ name: 'x', symbol: 'BTC/USDT' }));
  });

  it('disables the fields bound to an open position, with the reason', async () => {
    const bot = makeBot({}, { in_position: true, status: 'running' });
    const submit = vi.fn().mockResolvedValue(undefined);
    render(<BotFormView bot={bot} apiKeys={[]} onSubmit={submit} submitLabel="Save changes" locked="the bot holds a position; close it first" />);
    expect(screen.getByLabelText('Symbol')).toBeDisabled();
    expect(screen.getByLabelText('Mode')).toBeDisabled();
    expect(screen.getByLabelText('API key')).toBeDisabled();
    expect(screen.getByLabelText('Symbol')).toHaveAccessibleDescription(/holds a position/);
    expect(screen.getByLabelText('Stop-loss (%)')).toBeEnabled();
    await userEvent.clear(screen.getByLabelText('Stop-loss (%)'));
    await userEvent.type(screen.getByLabelText('Stop-loss (%)'), '3');
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(submit).toHaveBeenCalledWith({ stop_loss_perc: '3' });
  });
});
