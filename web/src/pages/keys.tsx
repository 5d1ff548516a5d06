// API keys, for a key with the admin scope (GET, POST /api/v1/keys, DELETE /api/v1/keys/{id}):
// the keys with their use, a form to create one, and revocation after a confirmation. A new key
// is shown once, in this page's memory only: never stored, never in a URL; leaving the page
// forgets it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call } from '../api';
import { bodyValues, useApiDocument } from '../components/api-schema';
import { ScrollBox } from '../components/scroll-box';
import { Empty, ErrorNote, Loading } from '../components/status';
import { Time } from '../components/time';
import { count } from '../format';
import { useApi, useTitle } from '../hooks';
import { useSession, type Me } from '../session';
import { TIERS, type Tier } from '../tiers';

const KEYS = '/api/v1/keys';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  tier: string;
  scopes: string[];
  admin: boolean;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  usage: { today: number; month: number };
}

function stateOf(key: ApiKey): 'active' | 'expired' | 'revoked' {
  if (key.revoked_at) return 'revoked';
  return key.expires_at && Date.parse(key.expires_at) <= Date.now() ? 'expired' : 'active';
}

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'client', String(err));
}

export function Keys() {
  const me = useSession().me!;
  useTitle('API keys');
  return (
    <main id="main" class="keys-page">
      <h1>API keys</h1>
      {me.admin ? (
        <KeyManager me={me} />
      ) : (
        <p class="note info">
          Managing API keys needs the <code>admin</code> scope, which the key you signed in with ({me.key.name}) does not have. Sign in with an
          admin key to create or revoke keys.
        </p>
      )}
    </main>
  );
}

function KeyManager({ me }: { me: Me }) {
  const list = useApi<{ data: ApiKey[] }>(KEYS);
  const tiers = useApi<{ data: Tier[] }>(TIERS);
  const [created, setCreated] = useState<ApiKey & { key: string }>();
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ApiError>();
  const [confirming, setConfirming] = useState<string>();

  const revoke = async (key: ApiKey) => {
    setError(undefined);
    try {
      await call(`${KEYS}/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
      setStatus(`The key "${key.name}" is revoked: its requests are refused from now on.`);
      setConfirming(undefined);
      list.reload();
    } catch (err) {
      setError(asApiError(err));
    }
  };

  const keys = list.data?.data ?? [];
  return (
    <>
      {created && <NewKey created={created} onDone={() => setCreated(undefined)} />}
      <CreateKey
        me={me}
        tiers={tiers.data?.data.map((tier) => tier.name) ?? [me.tier.name]}
        onCreated={(key) => {
          setCreated(key);
          setStatus('');
          list.reload();
        }}
      />
      <section aria-labelledby="keys-list">
        <h2 id="keys-list">Keys</h2>
        <p class="action-status" role="status">
          {status}
        </p>
        {error && <ErrorNote error={error} title="The key was not revoked" />}
        {list.error ? (
          <ErrorNote error={list.error} />
        ) : !list.data ? (
          <Loading what="Loading the keys" />
        ) : keys.length === 0 ? (
          <Empty>No key yet.</Empty>
        ) : (
          <ScrollBox label="API keys">
            <table class="key-table">
              <caption class="visually-hidden">API keys, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col" class="num">
                    Today
                  </th>
                  <th scope="col" class="num">
                    This month
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => {
                  const state = stateOf(key);
                  return (
                    <tr key={key.id} class={state === 'active' ? undefined : 'inactive'}>
                      <th scope="row" class="name">
                        {key.name}
                        {key.id === me.key.id && <span class="muted"> (this key)</span>}
                      </th>
                      <td>
                        <code>{key.prefix}…</code>
                      </td>
                      <td>{key.tier}</td>
                      <td class="scopes">{key.scopes.join(', ')}</td>
                      <td class="when">
                        <Time iso={key.created_at} />
                      </td>
                      <td class="when">{key.expires_at ? <Time iso={key.expires_at} /> : <span class="muted">never</span>}</td>
                      <td class="when">
                        <Time iso={key.last_used_at} />
                      </td>
                      <td class="num">{count(key.usage.today)}</td>
                      <td class="num">{count(key.usage.month)}</td>
                      <td>
                        <span class={`badge ${state === 'active' ? 'ok' : state === 'expired' ? 'warn' : 'neutral'}`}>{state}</span>
                      </td>
                      <td class="row-actions">
                        {state !== 'revoked' &&
                          (confirming === key.id ? (
                            <ConfirmRevoke name={key.name} onConfirm={() => void revoke(key)} onCancel={() => setConfirming(undefined)} />
                          ) : (
                            <button type="button" class="secondary" onClick={() => setConfirming(key.id)}>
                              Revoke<span class="visually-hidden"> {key.name}</span>
                            </button>
                          ))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollBox>
        )}
      </section>
    </>
  );
}

function ConfirmRevoke({ name, onConfirm, onCancel }: { name: string; onConfirm: () => void; onCancel: () => void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  // The question takes the focus, Cancel first: an Enter pressed by habit revokes nothing.
  useEffect(() => cancel.current?.focus(), []);
  return (
    <span class="confirm" role="group" aria-label={`Revoke ${name}?`}>
      <span>Revoke it? Its clients get 401 at once.</span>
      <button type="button" class="danger" onClick={onConfirm}>
        Yes, revoke<span class="visually-hidden"> {name}</span>
      </button>
      <button type="button" class="secondary" ref={cancel} onClick={onCancel}>
        Cancel
      </button>
    </span>
  );
}

function NewKey({ created, onDone }: { created: ApiKey & { key: string }; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState('');
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, [created.key]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('Copied to the clipboard.');
    } catch {
      field.current?.select();
      setCopied('The browser refused the clipboard: the key is selected, copy it with Ctrl+C or ⌘C.');
    }
  };
  return (
    <section class="panel new-key" aria-labelledby="new-key">
      <h2 id="new-key">New key: {created.name}</h2>
      <p class="note warn">
        <strong>Copy it now: it will not be shown again.</strong> Only its hash is stored; if it is lost, revoke it and create another.
      </p>
      <label for="new-key-value">The new API key ({created.tier} tier)</label>
      <div class="secret-row">
        <input id="new-key-value" ref={field} class="mono" type="text" readOnly value={created.key} spellcheck={false} autocomplete="off" />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
      </div>
      <p class="muted small" role="status">
        {copied}
      </p>
    </section>
  );
}

function CreateKey({ me, tiers, onCreated }: { me: Me; tiers: string[]; onCreated: (key: ApiKey & { key: string }) => void }) {
  const { doc } = useApiDocument();
  const scopes = doc ? bodyValues(doc, KEYS, 'scopes') : [];
  const [name, setName] = useState('');
  const [tier, setTier] = useState(me.tier.name);
  const [days, setDays] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  // The field the server refused is marked, and points at its message.
  const invalid = (field: string) => (error?.param === field ? { 'aria-invalid': true, 'aria-describedby': 'create-key-error' } : {});

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        name: name.trim(),
        tier,
        ...(chosen.length > 0 && { scopes: chosen }),
        ...(days.trim() && { expires_in_days: Number(days) }),
      };
      const { body: answer } = await call<{ data: ApiKey & { key: string } }>(KEYS, { method: 'POST', body: JSON.stringify(body) });
      setName('');
      setDays('');
      setChosen([]);
      onCreated(answer.data);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="create-key">
      <h2 id="create-key">Create a key</h2>
      <form
        class="create-key"
        // The server checks the fields, and names the one it refuses.
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div class="filters">
          <div>
            <label for="key-name">Name</label>
            <input id="key-name" type="text" value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} {...invalid('name')} />
          </div>
          <div>
            <label for="key-tier">Tier</label>
            <select id="key-tier" value={tier} onChange={(e) => setTier((e.target as HTMLSelectElement).value)} {...invalid('tier')}>
              {tiers.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="key-days">Expires in days</label>
            <input
              id="key-days"
              type="number"
              min={1}
              value={days}
              placeholder="never"
              onInput={(e) => setDays((e.target as HTMLInputElement).value)}
              {...invalid('expires_in_days')}
            />
          </div>
        </div>
        {scopes.length > 0 && (
          <fieldset class="scopes">
            <legend>Scopes (optional)</legend>
            <p class="muted small">None chosen: the tier's scopes that your key has. admin lets the new key manage keys.</p>
            {scopes.map((scope) => (
              <label key={scope} class="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(scope)}
                  onChange={(e) =>
                    setChosen((e.target as HTMLInputElement).checked ? [...chosen, scope] : chosen.filter((s) => s !== scope))
                  }
                />
                {scope}
              </label>
            ))}
          </fieldset>
        )}
        {error && (
          <div id="create-key-error">
            <ErrorNote error={error} title="The key was not created" />
          </div>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </section>
  );
}
