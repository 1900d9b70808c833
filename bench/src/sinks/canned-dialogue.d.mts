/** Types for canned-dialogue.mjs (the floor sinks' canned side of smtp-source's dialogue). */
export declare const GREETING: Buffer;
export declare class CannedDialogue {
  inData: boolean;
  /** Set once QUIT was answered. */
  quit: boolean;
  /** The replies to the complete lines of `chunk`, in order. */
  feed(chunk: Uint8Array): Buffer[];
}
