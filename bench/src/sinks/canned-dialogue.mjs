// The canned side of the dialogue Postfix's smtp-source speaks, shared by the floor sinks: a
// greeting, 250 for every command line, 354 for DATA, 250 after the line ".", 221 for QUIT —
// line splitting only, no parsing, no checks, no state beyond "in DATA".
export const GREETING = Buffer.from('220 floor.mailwire.test ESMTP\r\n');
const OK = Buffer.from('250 2.0.0 Ok\r\n');
const GO_AHEAD = Buffer.from('354 End data with <CR><LF>.<CR><LF>\r\n');
const BYE = Buffer.from('221 2.0.0 Bye\r\n');
const DOT = 0x2e;
const LF = 0x0a;

export class CannedDialogue {
  inData = false;
  /** Set once QUIT was answered. */
  quit = false;
  /** An unterminated line carried to the next chunk. */
  partial = undefined;

  /** The replies to the complete lines of `chunk` (a Buffer or Uint8Array), in order. */
  feed(chunk) {
    // A Buffer view of a plain Uint8Array: Buffer's indexOf is memchr, Uint8Array's walks octets
    // one by one (that difference once made NodeTransport look 10–15 µs per message dearer).
    const view = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const bytes = this.partial === undefined ? view : Buffer.concat([this.partial, view]);
    this.partial = undefined;
    const out = [];
    let start = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, start)) {
      const length = lf + 1 - start;
      if (this.inData) {
        if (bytes[start] === DOT && (length === 2 || (length === 3 && bytes[start + 1] === 0x0d))) {
          this.inData = false;
          out.push(OK);
        }
      } else {
        // The verb's first letters are enough for smtp-source's dialogue.
        const c0 = bytes[start] | 0x20;
        const c1 = bytes[start + 1] | 0x20;
        if (c0 === 0x64 && c1 === 0x61) {
          this.inData = true; // DATA
          out.push(GO_AHEAD);
        } else if (c0 === 0x71 && c1 === 0x75) {
          this.quit = true; // QUIT
          out.push(BYE);
        } else out.push(OK);
      }
      start = lf + 1;
    }
    if (start < bytes.length) this.partial = bytes.slice(start);
    return out;
  }
}
