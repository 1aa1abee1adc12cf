import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './scratch-kafka-broker';

/**
 * A TCP relay in front of a real server (PostgreSQL, Redis), for outage tests that must not touch
 * the server other tests share: `cut()` drops every connection and refuses new ones (the server
 * is "down"), `restore()` accepts them again. Start it cut to begin with a server that is down.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly upstream: { host: string; port: number },
  ) {}

  /** A proxy to `url`'s host and port (defaulting to `defaultPort`), listening unless `cut`. */
  static async to(url: string, defaultPort: number, options: { cut?: boolean } = {}): Promise<TcpProxy> {
    const { hostname, port } = new URL(url);
    const proxy = new TcpProxy(await freePort(), { host: hostname, port: Number(port || defaultPort) });
    if (!options.cut) await proxy.restore();
    return proxy;
  }

  /** `url` with its host and port replaced by this proxy's. */
  url(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }

  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = createConnection(this.upstream.port, this.upstream.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
