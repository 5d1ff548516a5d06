// Starts a worker thread from TypeScript source (tests, `tsx` runs): workers do not inherit
// the parent's loader hooks, so the worker registers tsx itself. Built code does not use it.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
