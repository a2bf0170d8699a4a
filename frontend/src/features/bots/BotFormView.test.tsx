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

  it('accepts numbers as the API does (".5", "5.") and sends them plainly', async () => {
    const submit = vi.fn().mockResolvedValue(undefined);
    render(<BotFormView apiKeys={[]} onSubmit={submit} submitLabel="Create bot" />);
    await userEvent.type(screen.getByLabelText('Name'), 'x');
    await userEvent.clear(screen.getByLabelText('Stop-loss (%)'));
    await userEvent.type(screen.getByLabelText('Stop-loss (%)'), '.5');
    await userEvent.clear(screen.getByLabelText('Take-profit (%)'));
    await userEvent.type(screen.getByLabelText('Take-profit (%)'), '5.');
    await userEvent.click(screen.getByRole('button', { name: 'Create bot' }));
    expect(submit).toHaveBeenCalledWith(expect.objectContaining({ stop_loss_perc: '0.5', take_profit_perc: '5' }));
  });

  it('names the limit a number breaks once the field is left', async () => {
    render(<BotFormView apiKeys={[]} onSubmit={vi.fn()} submitLabel="Create bot" />);
    await userEvent.click(screen.getByRole('radio', { name: /Fixed amount/ }));
    await userEvent.clear(screen.getByLabelText('Position size (quote)'));
    await userEvent.type(screen.getByLabelText('Position size (quote)'), '1'.repeat(21));
    await userEvent.tab();
    expect(screen.getByLabelText('Position size (quote)')).toHaveAccessibleDescription(/at most 20 digits before the decimal point/);
    await userEvent.clear(screen.getByLabelText('Stop-loss (%)'));
    await userEvent.type(screen.getByLabelText('Stop-loss (%)'), '100');
    await userEvent.tab();
    expect(screen.getByLabelText('Stop-loss (%)')).toHaveAccessibleDescription(/must be less than 100/);
  });

  it('puts a server error on every field it can name, and the rest in the message', async () => {
    const labels: Record<string, string> = {
      name: 'Name',
      symbol: 'Symbol',
      timeframe: 'Timeframe',
      mode: 'Mode',
      api_key_id: 'API key',
      check_interval_seconds: 'Check interval (s)',
      position_size_perc: 'Position size (%)',
      initial_capital: 'Initial capital',
      stop_loss_perc: 'Stop-loss (%)',
      take_profit_perc: 'Take-profit (%)',
      trailing_stop_perc: 'Trailing stop (%)',
      trailing_stop_active: 'Trailing stop on',
      ema_fast: 'EMA fast',
      ema_slow: 'EMA slow',
      rsi_period: 'RSI period',
      rsi_oversold: 'RSI oversold',
      rsi_overbought: 'RSI overbought',
      daily_target_perc: 'Daily target (%)',
      max_daily_loss_perc: 'Max daily loss (%)',
      max_daily_trades: 'Max daily trades',
    };
    const errors = [...Object.keys(labels).map((field) => ({ field, reason: `${field} refused` })), { field: 'body', reason: 'Invalid JSON' }];
    const submit = vi.fn().mockRejectedValue(new ApiError(422, { error: 'validation_error', detail: '...', errors }, null));
    render(<BotFormView apiKeys={[]} onSubmit={submit} submitLabel="Create bot" />);
    await userEvent.type(screen.getByLabelText('Name'), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Create bot' }));
    await waitFor(() => expect(screen.getByLabelText('Name')).toHaveAccessibleDescription(/name refused/));
    for (const [field, label] of Object.entries(labels)) {
      expect(screen.getByLabelText(label)).toHaveAccessibleDescription(new RegExp(`${field} refused`));
    }
    expect(screen.getByText('The server refused: body: Invalid JSON.')).toBeInTheDocument();
  });
});
