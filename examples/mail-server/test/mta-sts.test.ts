/**
 * MTA-STS on outbound mail: `MAILWIRE_MTA_STS=true` makes the delivery agent fetch and apply the
 * recipient domain's policy; routed domains have none. The policy fetch and DNS are fakes here
 * (tests never reach the network); the agent's own tests cover TLS and certificates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeResolver } from '@mailwire/dns';
import { afterEach, describe, expect, it } from 'vitest';
import { defaults, loadConfig } from '../src/config.js';
import { type Outbound, startOutbound } from '../src/outbound.js';

const dirs: string[] = [];
const running: Outbound[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function outbound(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailwire-mta-sts-'));
  dirs.push(dataDir);
  const config = loadConfig(
    {
      MAILWIRE_DATA_DIR: dataDir,
      MAILWIRE_QUEUE_INTERVAL_MS: '3600000',
      // A routed domain on a closed port: its delivery fails without leaving the machine.
      MAILWIRE_ROUTES: 'remote.test=127.0.0.1:1',
      ...env,
    },
    undefined,
  );
  const system = createFakeResolver({
    'strict.example': { mx: ['10 mx.strict.example'] },
    'mx.strict.example': { a: ['127.0.0.1'] },
    '_mta-sts.strict.example': { txt: ['v=STSv1; id=1'] },
  });
  const fetched: string[] = [];
  const lines: string[] = [];
  const out = startOutbound(
    config,
    system,
    { isLocal: () => false, deliver: async () => undefined },
    { delivered() {}, deferred() {}, bounced() {}, log: (line) => lines.push(line) },
    async (url) => {
      fetched.push(url);
      return {
        status: 200,
        contentType: 'text/plain',
        body: 'version: STSv1\nmode: enforce\nmx: mail.elsewhere.example\nmax_age: 86400\n',
      };
    },
  );
  running.push(out);
  return { out, system, fetched, lines };
}

describe('MAILWIRE_MTA_STS', () => {
  it('is off by default and read from the environment', () => {
    expect(defaults.mtaSts).toBe(false);
    expect(loadConfig({ MAILWIRE_MTA_STS: 'true' }, undefined).mtaSts).toBe(true);
  });

  it('on: an enforce policy whose mx patterns miss the MX defers without connecting', async () => {
    const { out, fetched, lines } = await outbound({ MAILWIRE_MTA_STS: 'true' });
    await out.queue.enqueue({
      from: 'a@example.test',
      to: ['bob@strict.example'],
      message: new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n'),
    });
    await out.agent.runOnce();
    expect(fetched).toEqual(['https://mta-sts.strict.example/.well-known/mta-sts.txt']);
    expect(lines).toContain('451 4.7.0 MTA-STS: no MX host of strict.example matches its policy (enforce)');
    const [queued] = await out.queue.list();
    expect(queued!.recipients[0]).toMatchObject({ state: 'pending' });
  });

  it('off: no policy is looked up; routed domains never ask for one', async () => {
    const off = await outbound({});
    await off.out.queue.enqueue({
      from: 'a@example.test',
      to: ['bob@strict.example'],
      message: new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n'),
    });
    await off.out.agent.runOnce();
    expect(off.fetched).toEqual([]);
    expect(off.system.queries.map((q) => q.name)).not.toContain('_mta-sts.strict.example');

    const on = await outbound({ MAILWIRE_MTA_STS: 'true' });
    await on.out.queue.enqueue({
      from: 'a@example.test',
      to: ['bob@remote.test'],
      message: new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n'),
    });
    await on.out.agent.runOnce();
    expect(on.system.queries.map((q) => q.name)).not.toContain('_mta-sts.remote.test');
    expect(on.fetched).toEqual([]);
    expect(on.lines.some((line) => line.includes('remote.test.route.mailwire.invalid'))).toBe(true);
  });
});
