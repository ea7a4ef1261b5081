import { createServer } from 'node:net';
import { LocalStackError } from './errors.ts';

/** Resolves when `port` can be bound on `host`; rejects with a {@link LocalStackError} that says what to do otherwise. */
export function assertPortFree(host: string, port: number, what: string, envVar: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${e.code ?? e.message})`;
      reject(new LocalStackError(`Port ${port} on ${host} for ${what} ${why}: stop whatever holds it, or set ${envVar} to another port.`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A port the OS has free right now on `host` (for tests, which run beside whatever else is on the machine). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
