import type { CommandContext } from '../commands/context.js';

/**
 * The CAPABILITY list, honest for the current state (RFC 9051 §6.1.1): clients decide from the
 * pre-authentication list, so it says exactly what works now.
 */
export function capabilities(
  ctx: Pick<CommandContext, 'account' | 'secure' | 'loginAllowed' | 'options' | 'appendLimit'>,
): string[] {
  const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'ID', 'ENABLE', 'IDLE', 'SASL-IR'];
  if (ctx.account === undefined) {
    if (!ctx.secure && (ctx.options.starttls ?? true)) caps.push('STARTTLS');
    if (ctx.loginAllowed) {
      for (const mechanism of ctx.options.saslMechanisms ?? ['PLAIN', 'LOGIN'])
        caps.push(`AUTH=${mechanism}`);
    } else {
      // RFC 9051 §6.2.3: LOGINDISABLED while plaintext login is refused.
      caps.push('LOGINDISABLED');
    }
    return caps;
  }
  caps.push(
    'UIDPLUS',
    'MOVE',
    'NAMESPACE',
    'UNSELECT',
    'CHILDREN',
    'SPECIAL-USE',
    'LIST-EXTENDED',
    'LIST-STATUS',
    'ESEARCH',
    'SEARCHRES',
    'BINARY',
    'MULTIAPPEND',
    'STATUS=SIZE',
    `APPENDLIMIT=${ctx.appendLimit}`,
    'UTF8=ACCEPT',
  );
  return caps;
}
