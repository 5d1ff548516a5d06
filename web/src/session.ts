// The signed-in key, kept for this tab only (sessionStorage: never localStorage, a cookie or a
// URL), and what GET /api/v1/me says of it: its tier, scopes and formats.
import { useEffect, useState } from 'preact/hooks';

const STORAGE = 'socd.apiKey';

export interface Me {
  key: { id: string; name: string; prefix: string; expires_at?: string | null };
  tier: { name: string; requests_per_minute: number; requests_per_day: number; lookback_days: number; max_limit: number };
  scopes: string[];
  admin: boolean;
  formats: string[];
  usage: { today: number; month: number };
}

export interface SessionState {
  /** Checking a kept key against the server, on first load. */
  checking: boolean;
  me?: Me;
  /** Why the last key was refused or the session ended, in the server's words. */
  reason?: string;
}

type Listener = (state: SessionState) => void;

function read(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE) ?? undefined;
  } catch {
    return undefined;
  }
}

// A key this tab kept is checked on load (App) before any page shows.
let state: SessionState = { checking: read() !== undefined };
const listeners = new Set<Listener>();

function set(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener(state);
}

export const session = {
  key: read,
  state: (): SessionState => state,
  /** Keeps a key the server accepted, with its /me document. */
  signIn(key: string, me: Me): void {
    sessionStorage.setItem(STORAGE, key);
    set({ checking: false, me });
  },
  signOut(reason?: string): void {
    sessionStorage.removeItem(STORAGE);
    set(reason === undefined ? { checking: false } : { checking: false, reason });
  },
  begin(): void {
    set({ ...state, checking: true });
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  can(scope: string): boolean {
    return state.me?.scopes.includes(scope) ?? false;
  },
};

export function useSession(): SessionState {
  const [current, setCurrent] = useState(state);
  useEffect(() => session.subscribe(setCurrent), []);
  return current;
}
