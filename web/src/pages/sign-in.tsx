// Sign-in: the key is checked against GET /api/v1/me before it is kept (for this tab only); a
// wrong, revoked or expired key gets the server's reason.
import { useState } from 'preact/hooks';
import { ApiError, callWithKey } from '../api';
import { useTitle } from '../hooks';
import { session, type Me } from '../session';

export function SignIn({ reason }: { reason?: string }) {
  useTitle('Sign in');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = key.trim();
    if (!value) return setError('Enter an API key.');
    setBusy(true);
    try {
      const { body } = await callWithKey<{ data: Me }>(value, '/api/v1/me');
      session.signIn(value, body.data);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to SOC Defenders</h1>
      <p>
        Enter an API key. It is kept for this browser tab only, and sent to this server alone, in a header. The first start wrote
        the admin key to <code>$DATA_DIR/admin-key</code>; <code>socd keys create</code> makes more.
      </p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="sk_live_…"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'sign-in-error' : undefined}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {error && (
        <p id="sign-in-error" class="note error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
