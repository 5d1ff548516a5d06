// What the store and the ingestion report for whoever watches the process (the API's /metrics):
// named node:diagnostics_channel channels. The layers below the API import this neutral module,
// never the API (the lint zones), and a process where nothing subscribes pays nothing: the
// publishers check hasSubscribers before they even read the clock.
import diagnostics from 'node:diagnostics_channel';

/** One SQL statement of the store: how long it took, and whether it failed. */
export interface StatementEvent {
  seconds: number;
  ok: boolean;
}

/** One run of a source, as runSource ended it. */
export interface FeedRunEvent {
  source: string;
  outcome: 'ok' | 'not_modified' | 'failed' | 'skipped';
}

const STATEMENTS = 'socdefenders:store:statement';
const FEED_RUNS = 'socdefenders:ingest:run';

export const statementChannel = diagnostics.channel(STATEMENTS);
export const feedRunChannel = diagnostics.channel(FEED_RUNS);

/** Calls `on` for each event of the channel until the returned function is called. */
function subscriber<E>(name: string) {
  return (on: (event: E) => void): (() => void) => {
    const listener = (message: unknown) => on(message as E);
    diagnostics.subscribe(name, listener);
    return () => void diagnostics.unsubscribe(name, listener);
  };
}

export const onStatement = subscriber<StatementEvent>(STATEMENTS);
export const onFeedRun = subscriber<FeedRunEvent>(FEED_RUNS);
