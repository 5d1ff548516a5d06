// The floor for HTTP figures: a bare Fastify route (no hooks, no logging), in its own process
// like the service; with FLOOR_DATABASE_URL, the list's floor too (bench/list-floor.ts).
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ status: 'ok' }));
// The list's floor (bench/list.ts), on the service's database.
if (process.env.FLOOR_DATABASE_URL) {
  const { listFloorRoutes } = await import('./list-floor.js');
  listFloorRoutes(app, process.env.FLOOR_DATABASE_URL, Number(process.env.FLOOR_LOOKBACK_DAYS));
}
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
