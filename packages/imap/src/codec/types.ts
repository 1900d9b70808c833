/**
 * Typed IMAP commands (RFC 9051 §6, RFC 3501 and the extensions this package implements).
 *
 * Strings are decoded: astrings and quoted strings become `string` (UTF-8, or latin1 when the
 * bytes are not valid UTF-8); message data stays bytes. Mailbox names are kept exactly as sent
 * (modified UTF-7 for IMAP4rev1 clients); the session decodes them.
 */

/** One end of a sequence range: a number, or `*` (the largest number in use). */
export type SeqNumber = number | '*';

/** A sequence set: ranges in client order (reversed ranges kept as sent), or `$` (SEARCHRES, RFC 5182). */
export type SequenceSet = '$' | readonly (readonly [SeqNumber, SeqNumber])[];

/** A calendar date from `date` (RFC 9051 §9), e.g. `1-Feb-1994`. */
export interface ImapDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A `date-time` (INTERNALDATE, APPEND): local time plus the zone offset in minutes east of UTC. */
export interface ImapDateTime extends ImapDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly zone: number;
}

/** `section-spec` of BODY[...] (RFC 9051 §6.4.5). */
export interface Section {
  /** Part numbers, `[]` for the whole message. */
  readonly part: readonly number[];
  readonly text?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** For HEADER.FIELDS and HEADER.FIELDS.NOT, upper-cased as sent. */
  readonly fields?: readonly string[];
}

export interface Partial {
  readonly offset: number;
  readonly length: number;
}

export type FetchItem =
  | {
      readonly item:
        | 'FLAGS'
        | 'INTERNALDATE'
        | 'RFC822.SIZE'
        | 'ENVELOPE'
        | 'BODYSTRUCTURE'
        | 'BODY'
        | 'UID'
        | 'RFC822'
        | 'RFC822.HEADER'
        | 'RFC822.TEXT'
        | 'MODSEQ';
    }
  | { readonly item: 'BODY[]'; readonly peek: boolean; readonly section: Section; readonly partial?: Partial }
  | {
      readonly item: 'BINARY[]';
      readonly peek: boolean;
      readonly part: readonly number[];
      readonly partial?: Partial;
    }
  | { readonly item: 'BINARY.SIZE'; readonly part: readonly number[] };

export type SearchKey =
  | {
      readonly key:
        | 'ALL'
        | 'ANSWERED'
        | 'DELETED'
        | 'DRAFT'
        | 'FLAGGED'
        | 'NEW'
        | 'OLD'
        | 'RECENT'
        | 'SEEN'
        | 'UNANSWERED'
        | 'UNDELETED'
        | 'UNDRAFT'
        | 'UNFLAGGED'
        | 'UNSEEN';
    }
  | { readonly key: 'KEYWORD' | 'UNKEYWORD'; readonly flag: string }
  | {
      readonly key: 'BCC' | 'BODY' | 'CC' | 'FROM' | 'SUBJECT' | 'TEXT' | 'TO';
      readonly value: string;
    }
  | { readonly key: 'HEADER'; readonly field: string; readonly value: string }
  | {
      readonly key: 'BEFORE' | 'ON' | 'SINCE' | 'SENTBEFORE' | 'SENTON' | 'SENTSINCE';
      readonly date: ImapDate;
    }
  | { readonly key: 'LARGER' | 'SMALLER'; readonly size: number }
  | { readonly key: 'UID' | 'SEQ'; readonly set: SequenceSet }
  | { readonly key: 'NOT'; readonly inner: SearchKey }
  | { readonly key: 'OR'; readonly left: SearchKey; readonly right: SearchKey }
  | { readonly key: 'AND'; readonly keys: readonly SearchKey[] };

export type StatusItem =
  | 'MESSAGES'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'DELETED'
  | 'SIZE'
  | 'RECENT'
  | 'APPENDLIMIT'
  | 'HIGHESTMODSEQ';

export type EsearchReturn = 'MIN' | 'MAX' | 'COUNT' | 'ALL' | 'SAVE';

export interface AppendMessage {
  readonly flags: readonly string[];
  readonly date?: ImapDateTime;
  readonly data: Uint8Array;
  /** Sent as literal8 (`~{n}`, RFC 3516): may contain NUL. */
  readonly binary: boolean;
  /** Sent as `UTF8 (~{n})` (RFC 6855 §4): a message with UTF-8 headers. */
  readonly utf8?: boolean;
}

export interface ListReturn {
  readonly subscribed: boolean;
  readonly children: boolean;
  readonly specialUse: boolean;
  readonly status?: readonly StatusItem[];
}

interface Tagged {
  readonly tag: string;
}

export type SimpleCommandName =
  | 'CAPABILITY'
  | 'NOOP'
  | 'LOGOUT'
  | 'STARTTLS'
  | 'CLOSE'
  | 'UNSELECT'
  | 'EXPUNGE'
  | 'IDLE'
  | 'CHECK'
  | 'NAMESPACE';

export type Command =
  | (Tagged & { readonly name: SimpleCommandName })
  | (Tagged & { readonly name: 'LOGIN'; readonly username: string; readonly password: string })
  | (Tagged & {
      readonly name: 'AUTHENTICATE';
      readonly mechanism: string;
      /** Base64 text of the SASL-IR initial response (RFC 4959); `=` for an empty one. */
      readonly initialResponse?: string;
    })
  | (Tagged & { readonly name: 'ENABLE'; readonly capabilities: readonly string[] })
  | (Tagged & { readonly name: 'ID'; readonly params: readonly (readonly [string, string | null])[] | null })
  | (Tagged & {
      readonly name: 'SELECT' | 'EXAMINE' | 'CREATE' | 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE';
      readonly mailbox: string;
    })
  | (Tagged & { readonly name: 'RENAME'; readonly mailbox: string; readonly newName: string })
  | (Tagged & {
      readonly name: 'LIST';
      readonly selection: readonly string[];
      readonly reference: string;
      readonly patterns: readonly string[];
      readonly returns?: ListReturn;
    })
  | (Tagged & { readonly name: 'LSUB'; readonly reference: string; readonly pattern: string })
  | (Tagged & { readonly name: 'STATUS'; readonly mailbox: string; readonly items: readonly StatusItem[] })
  | (Tagged & {
      readonly name: 'APPEND';
      readonly mailbox: string;
      readonly messages: readonly AppendMessage[];
    })
  | (Tagged & {
      readonly name: 'SEARCH';
      readonly uid: boolean;
      readonly charset?: string;
      /** ESEARCH `RETURN (...)` options (RFC 4731); `[]` for `RETURN ()` (means ALL). */
      readonly returns?: readonly EsearchReturn[];
      readonly criteria: readonly SearchKey[];
    })
  | (Tagged & {
      readonly name: 'FETCH';
      readonly uid: boolean;
      readonly sequence: SequenceSet;
      readonly items: readonly FetchItem[];
    })
  | (Tagged & {
      readonly name: 'STORE';
      readonly uid: boolean;
      readonly sequence: SequenceSet;
      readonly mode: 'set' | 'add' | 'remove';
      readonly silent: boolean;
      readonly flags: readonly string[];
    })
  | (Tagged & {
      readonly name: 'COPY' | 'MOVE';
      readonly uid: boolean;
      readonly sequence: SequenceSet;
      readonly mailbox: string;
    })
  | (Tagged & { readonly name: 'UID EXPUNGE'; readonly sequence: SequenceSet });

export type CommandName = Command['name'];
