import { describe, expect, it } from 'vitest';
import { AbandonedError, batcher } from '../../../src/store/batcher.js';

/** A lookup whose statements finish when the test says, recording the keys of each. */
function controlled() {
  const statements: { keys: number[]; finish: (error?: Error) => void }[] = [];
  const run = (keys: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      statements.push({ keys, finish: (error) => (error ? reject(error) : resolve(keys.map((k) => `answer ${k}`))) });
    });
  return { statements, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('batcher', () => {
  it('sends a lookup at once when nothing runs, and the ones that arrive meanwhile together', async () => {
    const { statements, run } = controlled();
    const lookUp = batcher(run);
    const first = lookUp(1);
    expect(statements.map((s) => s.keys)).toEqual([[1]]);
    const waiting = [lookUp(2), lookUp(3), lookUp(4)];
    expect(statements).toHaveLength(1);
    statements[0]!.finish();
    expect(await first).toBe('answer 1');
    expect(statements.map((s) => s.keys)).toEqual([[1], [2, 3, 4]]);
    statements[1]!.finish();
    expect(await Promise.all(waiting)).toEqual(['answer 2', 'answer 3', 'answer 4']);
    // Quiet again: the next one goes alone, at once.
    void lookUp(5);
    expect(statements.map((s) => s.keys)).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('sends at most maxBatch keys in one statement', async () => {
    const { statements, run } = controlled();
    const lookUp = batcher(run, 2);
    const all = [1, 2, 3, 4, 5].map((k) => lookUp(k));
    for (let i = 0; i < 3; i++) {
      statements[i]!.finish();
      await tick();
    }
    expect(statements.map((s) => s.keys)).toEqual([[1], [2, 3], [4, 5]]);
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5].map((k) => `answer ${k}`));
  });

  it('fails the lookups of a failed statement, and goes on with the next ones', async () => {
    const { statements, run } = controlled();
    const lookUp = batcher(run);
    const first = lookUp(1);
    const failing = [lookUp(2), lookUp(3)];
    const after = lookUp(4);
    statements[0]!.finish();
    await first;
    const late = lookUp(5);
    statements[1]!.finish(new Error('statement timeout'));
    for (const lookup of failing) await expect(lookup).rejects.toThrow('statement timeout');
    // Lookup 4 went with 2 and 3; 5 arrived while they ran and goes next, on its own.
    await expect(after).rejects.toThrow('statement timeout');
    expect(statements.map((s) => s.keys)).toEqual([[1], [2, 3, 4], [5]]);
    statements[2]!.finish();
    expect(await late).toBe('answer 5');
  });
});

describe('batcher, when a caller gives up', () => {
  it('takes a waiting lookup out: it is never sent, and fails at once', async () => {
    const { statements, run } = controlled();
    const lookUp = batcher(run);
    const first = lookUp(1);
    const gone = new AbortController();
    const abandoned = lookUp(2, gone.signal);
    const kept = lookUp(3);
    gone.abort();
    await expect(abandoned).rejects.toThrow(AbandonedError);
    statements[0]!.finish();
    await first;
    expect(statements.map((s) => s.keys)).toEqual([[1], [3]]);
    statements[1]!.finish();
    expect(await kept).toBe('answer 3');
  });

  it('lets a statement already sent run on for the lookups that share it', async () => {
    const { statements, run } = controlled();
    const lookUp = batcher(run);
    void lookUp(1);
    const gone = new AbortController();
    const abandoned = lookUp(2, gone.signal);
    const other = lookUp(3);
    statements[0]!.finish();
    await tick();
    expect(statements.map((s) => s.keys)).toEqual([[1], [2, 3]]);
    gone.abort();
    await expect(abandoned).rejects.toThrow(AbandonedError);
    statements[1]!.finish();
    expect(await other).toBe('answer 3');
  });

  it('never sends a lookup whose caller had already given up', async () => {
    const { statements, run } = controlled();
    const lookUp = batcher(run);
    await expect(lookUp(1, AbortSignal.abort())).rejects.toThrow(AbandonedError);
    expect(statements).toHaveLength(0);
  });
});
