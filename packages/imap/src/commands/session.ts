import { decodeSaslResponse, encodeBase64, utf8 } from '@mailwire/core';
import { createSaslServer, type SaslStep } from '@mailwire/core';
import { capabilities } from '../session/capabilities.js';
import type { CommandContext, CommandOf, Handler } from './context.js';
import { done } from './util.js';

/** CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE, STARTTLS, LOGIN, AUTHENTICATE. */

export const capability: Handler = async (ctx, command) => {
  ctx.send({ type: 'capability', capabilities: capabilities(ctx) });
  done(ctx, command);
};

/** NOOP and CHECK: the natural points to deliver mailbox updates (RFC 9051 §6.1.2). */
export const noop: Handler = async (ctx, command) => {
  done(ctx, command);
};

export const logout: Handler = async (ctx, command) => {
  ctx.send({ type: 'status', tag: '*', status: 'BYE', text: 'Logging out' });
  ctx.tagged(command.tag, 'OK', 'LOGOUT completed');
  ctx.logout();
};

export const id: Handler<CommandOf<'ID'>> = async (ctx, command) => {
  const params: [string, string][] = [['name', 'Mailwire']];
  for (const [k, v] of Object.entries(ctx.options.id ?? {})) params.push([k, v]);
  ctx.send({ type: 'id', params });
  done(ctx, command);
};

/** ENABLE (RFC 5161): IMAP4rev2 and UTF8=ACCEPT (RFC 6855) change how names are written. */
export const enable: Handler<CommandOf<'ENABLE'>> = async (ctx, command) => {
  const fresh: string[] = [];
  for (const cap of command.capabilities) {
    if ((cap === 'IMAP4REV2' || cap === 'UTF8=ACCEPT') && !ctx.enabled.has(cap)) {
      ctx.enabled.add(cap);
      fresh.push(cap === 'IMAP4REV2' ? 'IMAP4rev2' : cap);
    }
  }
  ctx.send({ type: 'enabled', capabilities: fresh });
  done(ctx, command);
};

export const namespace: Handler = async (ctx, command) => {
  ctx.send({ type: 'namespace', personal: [['', ctx.store.delimiter]], other: null, shared: null });
  done(ctx, command);
};

export const starttls: Handler = async (ctx, command) => {
  if (ctx.secure || ctx.options.starttls === false) {
    ctx.tagged(command.tag, 'BAD', 'STARTTLS not available');
    return;
  }
  ctx.tagged(command.tag, 'OK', 'Begin TLS negotiation now');
  // RFC 9051 §6.2.1: input buffered after the command is discarded (STARTTLS injection).
  ctx.startTls();
};

function loggedIn(ctx: CommandContext, tag: string, mechanism: string): void {
  ctx.stateName = 'authenticated';
  ctx.emit({ type: 'authenticated', account: ctx.account!, mechanism });
  ctx.tagged(tag, 'OK', 'Logged in', { name: 'CAPABILITY', data: capabilities(ctx).join(' ') });
}

export const login: Handler<CommandOf<'LOGIN'>> = async (ctx, command) => {
  if (!ctx.loginAllowed) {
    // RFC 9051 §6.2.3: LOGINDISABLED is advertised; refuse plaintext passwords without TLS.
    ctx.tagged(command.tag, 'NO', 'LOGIN is disabled without TLS', { name: 'PRIVACYREQUIRED' });
    return;
  }
  const account = await ctx.decideLogin(command.username, command.password);
  if (account === undefined) {
    ctx.tagged(command.tag, 'NO', 'Authentication failed', { name: 'AUTHENTICATIONFAILED' });
    return;
  }
  ctx.account = account;
  loggedIn(ctx, command.tag, 'LOGIN');
};

const PLAINTEXT = new Set(['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER']);

export const authenticate: Handler<CommandOf<'AUTHENTICATE'>> = async (ctx, command) => {
  const offered = (ctx.options.saslMechanisms ?? ['PLAIN', 'LOGIN']).map((m) => m.toUpperCase());
  const server = offered.includes(command.mechanism)
    ? createSaslServer(command.mechanism, {
        hostname: ctx.options.hostname ?? 'localhost',
        ...(ctx.options.randomBytes === undefined ? {} : { randomBytes: ctx.options.randomBytes }),
      })
    : undefined;
  if (server === undefined) {
    ctx.tagged(command.tag, 'NO', 'Unsupported authentication mechanism', { name: 'CANNOT' });
    return;
  }
  if (!ctx.loginAllowed && PLAINTEXT.has(command.mechanism)) {
    ctx.tagged(command.tag, 'NO', 'Authentication requires TLS', { name: 'PRIVACYREQUIRED' });
    return;
  }
  let step: SaslStep;
  if (command.initialResponse === undefined) step = server.start(undefined);
  else {
    // RFC 4959 SASL-IR.
    const first = decodeSaslResponse(utf8(command.initialResponse), { initial: true });
    if (first.type !== 'data') {
      ctx.tagged(command.tag, 'BAD', 'Invalid initial response');
      return;
    }
    step = server.start(first.data);
  }
  let account: CommandContext['account'];
  for (;;) {
    if (step.type === 'challenge') {
      ctx.continuation(encodeBase64(step.challenge));
      const line = await ctx.readLine();
      if (line === undefined) return;
      const response = decodeSaslResponse(line);
      if (response.type === 'cancel') {
        // RFC 9051 §6.2.2: a cancelled exchange ends with BAD.
        ctx.tagged(command.tag, 'BAD', 'AUTHENTICATE cancelled');
        return;
      }
      if (response.type === 'malformed') {
        ctx.tagged(command.tag, 'BAD', 'Invalid base64 response');
        return;
      }
      step = server.respond(response.data);
    } else if (step.type === 'verify') {
      const result = await ctx.decideAuthenticate(step.credentials);
      account = result?.account;
      step = server.verified(
        result === undefined
          ? { ok: false }
          : result.scramKeys === undefined
            ? { ok: true }
            : { ok: true, scramKeys: result.scramKeys },
      );
    } else if (step.type === 'success') {
      if (step.serverData !== undefined) {
        // Additional data with success goes as a last challenge answered by an empty line.
        ctx.continuation(encodeBase64(step.serverData));
        const line = await ctx.readLine();
        if (line === undefined) return;
      }
      if (account === undefined) {
        ctx.tagged(command.tag, 'NO', 'Authentication failed', { name: 'AUTHENTICATIONFAILED' });
        return;
      }
      ctx.account = account;
      loggedIn(ctx, command.tag, command.mechanism);
      return;
    } else {
      if (step.reason === 'malformed') ctx.tagged(command.tag, 'BAD', 'Malformed authentication exchange');
      else ctx.tagged(command.tag, 'NO', 'Authentication failed', { name: 'AUTHENTICATIONFAILED' });
      return;
    }
  }
};
