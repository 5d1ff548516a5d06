// The base of the absolute links the API writes (list pages, TAXII API roots).
import type { FastifyRequest } from 'fastify';

/**
 * The base of absolute links: PUBLIC_URL, or the host a trusted proxy passed, or else the address
 * this connection reached. Never a Host header that nobody vouched for: behind a shared cache a
 * forged one would be served to everyone.
 */
export function linkBase(request: FastifyRequest, publicUrl: string | undefined, trustProxy: boolean): string {
  if (publicUrl) return publicUrl;
  if (trustProxy) return `${request.protocol}://${request.host}`;
  const address = request.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${request.protocol}://${host}${request.socket.localPort ? `:${request.socket.localPort}` : ''}`;
}
