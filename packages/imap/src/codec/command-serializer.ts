import type { Command, FetchItem, SearchKey, Section } from './types.js';
import { type LiteralMode, WireWriter } from './wire.js';

/**
 * Serializes a typed `Command` to wire bytes (the client side, for tests and for users playing the
 * client). With `literal: 'sync'` (the default) literals are `{n}`: a real client must then wait
 * for the server's `+` before sending what follows; split the output with `splitAtLiterals()`.
 * `'plus'` writes LITERAL+ `{n+}` literals that need no wait.
 */
export function serializeCommand(command: Command, options: { literal?: LiteralMode } = {}): Uint8Array {
  const w = new WireWriter(options.literal ?? 'sync');
  w.text(`${command.tag} `);
  switch (command.name) {
    case 'LOGIN':
      w.text('LOGIN ').astring(command.username).text(' ').astring(command.password);
      break;
    case 'AUTHENTICATE':
      w.text(`AUTHENTICATE ${command.mechanism}`);
      if (command.initialResponse !== undefined) w.text(` ${command.initialResponse}`);
      break;
    case 'ENABLE':
      w.text(`ENABLE ${command.capabilities.join(' ')}`);
      break;
    case 'ID':
      w.text('ID ');
      if (command.params === null) w.text('NIL');
      else
        w.list(command.params, ([key, value]) => {
          w.string(key).text(' ').nstring(value);
        });
      break;
    case 'SELECT':
    case 'EXAMINE':
    case 'CREATE':
    case 'DELETE':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      w.text(`${command.name} `).astring(command.mailbox);
      break;
    case 'RENAME':
      w.text('RENAME ').astring(command.mailbox).text(' ').astring(command.newName);
      break;
    case 'LIST': {
      w.text('LIST ');
      if (command.selection.length > 0) w.text(`(${command.selection.join(' ')}) `);
      w.astring(command.reference).text(' ');
      if (command.patterns.length === 1) w.listMailbox(command.patterns[0]!);
      else w.list(command.patterns, (p) => w.listMailbox(p));
      const returns = command.returns;
      if (returns !== undefined) {
        const options: string[] = [];
        if (returns.subscribed) options.push('SUBSCRIBED');
        if (returns.children) options.push('CHILDREN');
        if (returns.specialUse) options.push('SPECIAL-USE');
        if (returns.status !== undefined) options.push(`STATUS (${returns.status.join(' ')})`);
        w.text(` RETURN (${options.join(' ')})`);
      }
      break;
    }
    case 'LSUB':
      w.text('LSUB ').astring(command.reference).text(' ').listMailbox(command.pattern);
      break;
    case 'STATUS':
      w.text('STATUS ')
        .astring(command.mailbox)
        .text(` (${command.items.join(' ')})`);
      break;
    case 'APPEND':
      w.text('APPEND ').astring(command.mailbox);
      for (const message of command.messages) {
        w.text(' ');
        if (message.flags.length > 0) w.text(`(${message.flags.join(' ')}) `);
        if (message.date !== undefined) w.dateTime(message.date).text(' ');
        if (message.utf8 === true) w.text('UTF8 (');
        w.literal(message.data, message.binary);
        if (message.utf8 === true) w.text(')');
      }
      break;
    case 'SEARCH':
      if (command.uid) w.text('UID ');
      w.text('SEARCH');
      if (command.returns !== undefined) w.text(` RETURN (${command.returns.join(' ')})`);
      if (command.charset !== undefined) w.text(' CHARSET ').astring(command.charset);
      for (const key of command.criteria) {
        w.text(' ');
        writeSearchKey(w, key);
      }
      break;
    case 'FETCH':
      if (command.uid) w.text('UID ');
      w.text('FETCH ').sequenceSet(command.sequence).text(' ');
      w.list(command.items, (item) => writeFetchItem(w, item));
      break;
    case 'STORE': {
      if (command.uid) w.text('UID ');
      const sign = command.mode === 'add' ? '+' : command.mode === 'remove' ? '-' : '';
      w.text('STORE ')
        .sequenceSet(command.sequence)
        .text(` ${sign}FLAGS${command.silent ? '.SILENT' : ''} (${command.flags.join(' ')})`);
      break;
    }
    case 'COPY':
    case 'MOVE':
      if (command.uid) w.text('UID ');
      w.text(`${command.name} `).sequenceSet(command.sequence).text(' ').astring(command.mailbox);
      break;
    case 'UID EXPUNGE':
      w.text('UID EXPUNGE ').sequenceSet(command.sequence);
      break;
    default:
      w.text(command.name);
  }
  return w.crlf().toBytes();
}

function writeSearchKey(w: WireWriter, key: SearchKey): void {
  switch (key.key) {
    case 'KEYWORD':
    case 'UNKEYWORD':
      w.text(`${key.key} ${key.flag}`);
      return;
    case 'BCC':
    case 'BODY':
    case 'CC':
    case 'FROM':
    case 'SUBJECT':
    case 'TEXT':
    case 'TO':
      w.text(`${key.key} `).astring(key.value);
      return;
    case 'HEADER':
      w.text('HEADER ').astring(key.field).text(' ').astring(key.value);
      return;
    case 'BEFORE':
    case 'ON':
    case 'SINCE':
    case 'SENTBEFORE':
    case 'SENTON':
    case 'SENTSINCE':
      w.text(`${key.key} `).date(key.date);
      return;
    case 'LARGER':
    case 'SMALLER':
      w.text(`${key.key} ${key.size}`);
      return;
    case 'UID':
      w.text('UID ').sequenceSet(key.set);
      return;
    case 'SEQ':
      w.sequenceSet(key.set);
      return;
    case 'NOT':
      w.text('NOT ');
      writeSearchKey(w, key.inner);
      return;
    case 'OR':
      w.text('OR ');
      writeSearchKey(w, key.left);
      w.text(' ');
      writeSearchKey(w, key.right);
      return;
    case 'AND':
      w.list(key.keys, (k) => writeSearchKey(w, k));
      return;
    default:
      w.text(key.key);
  }
}

export function formatSection(section: Section): string {
  let text = section.part.join('.');
  if (section.text !== undefined) {
    text += (text.length > 0 ? '.' : '') + section.text;
    if (section.fields !== undefined) text += ` (${section.fields.join(' ')})`;
  }
  return `[${text}]`;
}

function writeFetchItem(w: WireWriter, item: FetchItem): void {
  switch (item.item) {
    case 'BODY[]':
      w.text(item.peek ? 'BODY.PEEK' : 'BODY');
      writeSection(w, item.section);
      if (item.partial !== undefined) w.text(`<${item.partial.offset}.${item.partial.length}>`);
      return;
    case 'BINARY[]':
      w.text(`${item.peek ? 'BINARY.PEEK' : 'BINARY'}[${item.part.join('.')}]`);
      if (item.partial !== undefined) w.text(`<${item.partial.offset}.${item.partial.length}>`);
      return;
    case 'BINARY.SIZE':
      w.text(`BINARY.SIZE[${item.part.join('.')}]`);
      return;
    default:
      w.text(item.item);
  }
}

function writeSection(w: WireWriter, section: Section): void {
  let text = section.part.join('.');
  if (section.text !== undefined) text += (text.length > 0 ? '.' : '') + section.text;
  w.text(`[${text}`);
  if (section.fields !== undefined) {
    w.text(' ');
    w.list(section.fields, (f) => w.astring(f));
  }
  w.text(']');
}
