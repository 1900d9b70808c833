/**
 * A small DNS server for tests, on 127.0.0.1 (UDP and TCP on the same random port), answering
 * from the codec. The handler returns the raw messages to send back, in order (none: stay silent).
 */

import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { decodeMessage, encodeMessage, QUERY_FLAGS, TcpFramer } from '../src/wire/message.js';
import type { DnsMessage } from '../src/wire/types.js';

export type Transport = 'udp' | 'tcp';

export interface Received {
  readonly transport: Transport;
  readonly message: DnsMessage;
  /** The client's source port. */
  readonly port: number;
}

export type Handler = (query: DnsMessage, transport: Transport) => Uint8Array[] | Promise<Uint8Array[]>;

export interface FakeDnsServer {
  readonly address: '127.0.0.1';
  readonly port: number;
  readonly received: Received[];
  /** Sends a datagram from another socket (another source port) to a client port. */
  spoof(bytes: Uint8Array, port: number): Promise<void>;
  close(): Promise<void>;
}

/** An answer to `query` with the given parts; the question is echoed. */
export function reply(query: DnsMessage, patch: Partial<DnsMessage> & { tc?: boolean; ad?: boolean } = {}) {
  const { tc, ad, ...rest } = patch;
  return encodeMessage({
    id: query.id,
    flags: { ...QUERY_FLAGS, qr: true, ra: true, rd: query.flags.rd, tc: tc ?? false, ad: ad ?? false },
    rcode: 0,
    questions: query.questions,
    answers: [],
    authorities: [],
    additionals: [],
    ...rest,
  });
}

export async function startFakeDnsServer(handler: Handler): Promise<FakeDnsServer> {
  const received: Received[] = [];
  for (let tries = 0; ; tries++) {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const sockets = new Set<Socket>();
    const tcp: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const framer = new TcpFramer();
      socket.on('data', (chunk: Uint8Array) => {
        framer.push(chunk);
        for (let bytes = framer.next(); bytes; bytes = framer.next()) {
          const decoded = decodeMessage(bytes);
          if (!decoded.ok) continue;
          received.push({ transport: 'tcp', message: decoded.message, port: socket.remotePort ?? 0 });
          void Promise.resolve(handler(decoded.message, 'tcp')).then((answers) => {
            for (const out of answers)
              socket.write(new Uint8Array([out.length >> 8, out.length & 0xff, ...out]));
          });
        }
      });
      socket.on('error', () => {});
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      udp.close();
      if (tries > 10) throw new Error('no free port pair for the fake DNS server');
      continue;
    }
    udp.on('message', (bytes: Uint8Array, remote: RemoteInfo) => {
      const decoded = decodeMessage(bytes);
      if (!decoded.ok) return;
      received.push({ transport: 'udp', message: decoded.message, port: remote.port });
      void Promise.resolve(handler(decoded.message, 'udp')).then((answers) => {
        for (const out of answers) udp.send(out, remote.port, remote.address);
      });
    });
    return {
      address: '127.0.0.1',
      port,
      received,
      async spoof(bytes, clientPort) {
        const other = createSocket('udp4');
        await new Promise<void>((resolve) => other.send(bytes, clientPort, '127.0.0.1', () => resolve()));
        other.close();
      },
      async close() {
        for (const socket of sockets) socket.destroy();
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      },
    };
  }
}
