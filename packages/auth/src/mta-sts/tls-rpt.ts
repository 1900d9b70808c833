/** TLS-RPT records (RFC 8460 §3): the TXT at `_smtp._tls.<domain>`. */

export interface TlsRptRecord {
  /** `rua=` URIs: `mailto:` or `https:`. */
  readonly reportUris: readonly string[];
}

export type TlsRptParse =
  | { readonly ok: true; readonly record: TlsRptRecord }
  | { readonly ok: false; readonly reason: string };

export function parseTlsRptRecord(text: string): TlsRptParse {
  const fields = text.split(';').map((field) => field.trim());
  if (fields[0] !== 'v=TLSRPTv1') return { ok: false, reason: 'record does not start with v=TLSRPTv1' };
  let uris: string[] | undefined;
  for (const field of fields.slice(1)) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `bad field "${field}"` };
    const key = field.slice(0, eq).trim();
    const value = field.slice(eq + 1).trim();
    if (key === 'rua') {
      if (uris !== undefined) return { ok: false, reason: 'rua= given twice' };
      uris = value.split(',').map((uri) => uri.trim());
      if (uris.some((uri) => !/^(?:mailto:[^\s,!]+|https:\/\/[^\s,!]+)$/i.test(uri))) {
        return { ok: false, reason: 'rua= holds a URI that is neither mailto: nor https:' };
      }
    }
  }
  if (uris === undefined || uris.length === 0) return { ok: false, reason: 'record without rua=' };
  return { ok: true, record: { reportUris: uris } };
}
