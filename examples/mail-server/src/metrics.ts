/**
 * Prometheus metrics in the text exposition format, served on a separate loopback port.
 */
import { createServer, type Server } from 'node:http';

type Labels = Record<string, string>;

class Family {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  add(labels: Labels, delta: number): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + delta);
  }

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
}

function labelKey(labels: Labels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
}

export class Metrics {
  private readonly families = new Map<string, Family>();
  /** Sampled at scrape time (e.g. queue depth). */
  private readonly collectors: (() => void | Promise<void>)[] = [];

  counter(name: string, help: string): (labels?: Labels, delta?: number) => void {
    const family = this.family(name, help, 'counter');
    return (labels = {}, delta = 1) => family.add(labels, delta);
  }

  gauge(
    name: string,
    help: string,
  ): { add: (labels: Labels, delta: number) => void; set: (labels: Labels, value: number) => void } {
    const family = this.family(name, help, 'gauge');
    return { add: (l, d) => family.add(l, d), set: (l, v) => family.set(l, v) };
  }

  collect(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const collect of this.collectors) await collect();
    let out = '';
    for (const f of this.families.values()) {
      out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
      if (f.values.size === 0) out += `${f.name} 0\n`;
      for (const [labels, value] of f.values) out += `${f.name}${labels} ${value}\n`;
    }
    return out;
  }

  /** Serves `/metrics`; resolves with the bound port. */
  async listen(host: string, port: number): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.render().then(
        (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body),
        (error: Error) => res.writeHead(500).end(`${error.message}\n`),
      );
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => ok());
    });
    const address = server.address();
    return { server, port: typeof address === 'object' && address ? address.port : port };
  }

  private family(name: string, help: string, type: 'counter' | 'gauge'): Family {
    let family = this.families.get(name);
    if (!family) {
      family = new Family(name, help, type);
      this.families.set(name, family);
    }
    return family;
  }
}
