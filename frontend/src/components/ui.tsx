import { type ButtonHTMLAttributes, type ReactNode, useEffect, useRef } from 'react';
import type { LiveStatus } from '../features/live/types';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

export function Button({
  variant = 'secondary',
  busy = false,
  className,
  children,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button
      type="button"
      {...rest}
      className={`btn btn--${variant}${className ? ` ${className}` : ''}`}
      disabled={rest.disabled || busy}
      aria-busy={busy || undefined}
    >
      {children}
    </button>
  );
}

const MODE_LABEL: Record<string, string> = { live: 'Live', testnet: 'Testnet', paper: 'Paper', demo: 'Demo' };

export function ModeBadge({ mode }: { mode: string }) {
  return <span className={`badge badge--mode-${mode}`}>{MODE_LABEL[mode] ?? mode}</span>;
}

const STATUS_LABEL: Record<string, string> = {
  running: 'Running',
  in_position: 'In position',
  stopped: 'Stopped',
  error: 'Error',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge--status-${status}`} data-testid="bot-status">
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}

const LIVE_LABEL: Record<LiveStatus, string> = {
  connecting: 'Connecting',
  connected: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
};

/** The live dot: the state of the app's status stream, in colour and in words. The
 * app-wide one is a status region; the compact ones on cards are images, so a change is
 * announced once. */
export function LiveDot({ status, compact = false, testId = 'live-dot' }: { status: LiveStatus; compact?: boolean; testId?: string }) {
  const label = `Live updates: ${LIVE_LABEL[status]}`;
  return (
    <span
      className={`live live--${status}`}
      role={compact ? 'img' : 'status'}
      aria-label={label}
      title={label}
      data-testid={testId}
      data-status={status}
    >
      <span className="live__dot" aria-hidden="true" />
      <span className="live__label">{LIVE_LABEL[status]}</span>
    </span>
  );
}

export function Alert({ tone = 'error', children }: { tone?: 'error' | 'info' | 'success'; children: ReactNode }) {
  return (
    <div className={`alert alert--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <p className="spinner" role="status">
      <span className="spinner__ring" aria-hidden="true" /> {label}…
    </p>
  );
}

interface ConfirmProps {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}

/** A modal confirmation (the native <dialog>: focus trap and Escape for free). */
export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onCancel, busy }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    } else if (!open && d.open) {
      if (typeof d.close === 'function') d.close();
      else d.removeAttribute('open');
    }
  }, [open]);
  if (!open) return <dialog ref={ref} className="dialog" />;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="confirm-title" onCancel={onCancel}>
      <h2 id="confirm-title">{title}</h2>
      <div className="dialog__body">{children}</div>
      <div className="dialog__actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="danger" onClick={onConfirm} busy={busy ?? false}>
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

export function Stat({ label, value, tone, testId }: { label: string; value: ReactNode; tone?: string; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <dt>{label}</dt>
      <dd className={tone ? `tone-${tone}` : undefined}>{value}</dd>
    </div>
  );
}

/** A table's horizontal scroller. It can be focused, so a keyboard can scroll it too, and it is
 * a named region, so a screen reader says what that stop is (axe: scrollable-region-focusable). */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
