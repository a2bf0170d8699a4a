import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, type ApiKey, type ApiKeyValidation, api, unwrap } from '../api/client';
import { Field } from '../components/Field';
import { Alert, Button, ConfirmDialog, Spinner, TableWrap } from '../components/ui';
import { useApiKeys } from '../features/bots/queries';
import { dateTime } from '../lib/format';
import { keys } from '../lib/queryKeys';

function AddKey() {
  const client = useQueryClient();
  const [label, setLabel] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [secret, setSecret] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [added, setAdded] = useState<ApiKey | null>(null);
  const add = useMutation({
    mutationFn: (body: { label: string | null; api_key: string; secret_key: string }) => unwrap(api.POST('/api/v1/api-keys', { body })),
    onSuccess: (k) => client.setQueryData<ApiKey[]>(keys.apiKeys, (list) => [...(list ?? []), k]),
  });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setMessage(null);
    const local: Record<string, string> = {};
    for (const [field, value] of [
      ['api_key', apiKey],
      ['secret_key', secret],
    ] as const) {
      if (value.length < 8 || value.length > 256) local[field] = '8 to 256 characters';
      else if (/\s/.test(value)) local[field] = 'must not contain whitespace';
    }
    if (label.length > 100) local.label = 'at most 100 characters';
    if (Object.keys(local).length) return setErrors(local);
    try {
      const k = await add.mutateAsync({ label: label.trim() || null, api_key: apiKey, secret_key: secret });
      // The secret leaves the page with the request: it is never shown or kept again.
      setApiKey('');
      setSecret('');
      setLabel('');
      setAdded(k);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.fieldErrors());
        setMessage(err.errors.length ? null : err.message);
      } else setMessage('The server cannot be reached.');
    }
  }

  return (
    <section className="card" aria-labelledby="add-key-title">
      <h2 id="add-key-title" className="card__title">
        Add a Binance key
      </h2>
      {added && (
        <Alert tone="success">
          Key {added.api_key_masked} added. Its secret is stored encrypted and is never shown again.
        </Alert>
      )}
      {message && <Alert>{message}</Alert>}
      <form onSubmit={submit} noValidate aria-label="Add a key" className="form-grid">
        <Field label="Label" error={errors.label} help="Optional, to tell keys apart.">
          {(p) => <input {...p} name="label" value={label} onChange={(e) => setLabel(e.target.value)} />}
        </Field>
        <Field label="API key" error={errors.api_key}>
          {(p) => <input {...p} name="api_key" autoComplete="off" spellCheck={false} value={apiKey} onChange={(e) => setApiKey(e.target.value)} />}
        </Field>
        <Field label="Secret key" error={errors.secret_key} help="Sent once over this connection, stored encrypted, never shown again.">
          {(p) => (
            <input {...p} name="secret_key" type="password" autoComplete="new-password" spellCheck={false} value={secret} onChange={(e) => setSecret(e.target.value)} />
          )}
        </Field>
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={add.isPending}>
            Add key
          </Button>
        </div>
      </form>
    </section>
  );
}

const STATUS_LABEL: Record<ApiKey['status'], string> = { valid: 'valid', refused: 'refused', unchecked: 'not checked' };
const STATUS_BADGE: Record<ApiKey['status'], string> = { valid: 'badge--ok', refused: 'badge--refused', unchecked: '' };

/** What the key's last check found: accepted, refused (and the exchange's reason), or none yet. */
function KeyStatus({ k }: { k: ApiKey }) {
  return (
    <div className="key-status" data-testid="key-status">
      <span className={`badge ${STATUS_BADGE[k.status]}`}>{STATUS_LABEL[k.status]}</span>
      {k.status === 'refused' && k.refused_reason && <p className="key-status__reason">{k.refused_reason}</p>}
    </div>
  );
}

function KeyRow({ k }: { k: ApiKey }) {
  const client = useQueryClient();
  const [mode, setMode] = useState<'live' | 'testnet'>('live');
  const [result, setResult] = useState<ApiKeyValidation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [refused, setRefused] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const validate = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/api-keys/{key_id}/validate', { params: { path: { key_id: k.id }, query: { mode } } })),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/api-keys/{key_id}', { params: { path: { key_id: k.id } } })),
    onSuccess: () => client.setQueryData<ApiKey[]>(keys.apiKeys, (list) => list?.filter((x) => x.id !== k.id)),
  });

  async function check() {
    setError(null);
    setResult(null);
    setRefused(false);
    try {
      const r = await validate.mutateAsync();
      setResult(r);
      client.setQueryData<ApiKey[]>(keys.apiKeys, (list) => list?.map((x) => (x.id === k.id ? r.key : x)));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'invalid_api_key') {
        // Refused: the key now says so, with the exchange's reason, in its status.
        void client.invalidateQueries({ queryKey: keys.apiKeys, exact: true });
        return setRefused(true);
      }
      const wait = e instanceof ApiError && e.retryAfter ? ` Try again in ${e.retryAfter} s.` : '';
      setError(e instanceof ApiError ? `${e.message}${wait}` : 'The server cannot be reached.');
    }
  }

  async function del() {
    setConfirm(false);
    setError(null);
    try {
      await remove.mutateAsync();
    } catch (e) {
      setError(e instanceof ApiError ? `Not deleted: ${e.message}` : 'The server cannot be reached.');
    }
  }

  const balances = result ? Object.entries(result.balances) : [];
  return (
    <tr data-testid={`api-key-row-${k.id}`}>
      <td>{k.label || '—'}</td>
      <td>
        <code>{k.api_key_masked}</code>
      </td>
      <td>
        <KeyStatus k={k} />
      </td>
      <td>{dateTime(k.created_at)}</td>
      <td>
        <div className="row-actions">
        <label className="sr-only" htmlFor={`mode-${k.id}`}>
          Validate against
        </label>
        <select id={`mode-${k.id}`} value={mode} onChange={(e) => setMode(e.target.value as 'live' | 'testnet')}>
          <option value="live">live</option>
          <option value="testnet">testnet</option>
        </select>
        <Button onClick={() => void check()} busy={validate.isPending} aria-label={`Validate key ${k.api_key_masked}`}>
          Validate
        </Button>
        <Button variant="ghost" onClick={() => setConfirm(true)} busy={remove.isPending} aria-label={`Delete key ${k.api_key_masked}`}>
          Delete
        </Button>
        {result && (
          <div className="row-result" role="status">
            Binance accepted the key. {balances.length > 0 && `Balances: ${balances.map(([a, v]) => `${a} ${v}`).join(', ')}`}
          </div>
        )}
        {refused && (
          <div className="row-result" role="status">
            Binance refused the key: its status says why.
          </div>
        )}
        {error && (
          <div className="row-result row-result--error" role="alert">
            {error}
          </div>
        )}
        </div>
        <ConfirmDialog open={confirm} title="Delete this key?" confirmLabel="Delete the key" onConfirm={() => void del()} onCancel={() => setConfirm(false)}>
          <p>Bots that use {k.api_key_masked} will not be able to start until they get another key.</p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}

export function ApiKeysPage() {
  const list = useApiKeys();
  return (
    <>
      <h1>API keys</h1>
      <p className="muted">Live and testnet bots trade with a Binance key. Demo and paper bots need none.</p>
      <AddKey />
      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title" className="card__title">
          Your keys
        </h2>
        {list.isPending ? (
          <Spinner label="Loading keys" />
        ) : list.isError ? (
          <Alert>Keys could not be loaded: {list.error.message}</Alert>
        ) : list.data.length === 0 ? (
          <p className="muted" data-testid="keys-empty">
            No keys yet.
          </p>
        ) : (
          <TableWrap label="Keys table">
            <table className="table" data-testid="api-keys-table">
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  <th scope="col">Key</th>
                  <th scope="col">Status</th>
                  <th scope="col">Added</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((k) => (
                  <KeyRow key={k.id} k={k} />
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </>
  );
}
