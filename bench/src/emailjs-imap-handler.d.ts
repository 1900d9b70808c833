declare module 'emailjs-imap-handler' {
  const handler: {
    parser(command: Uint8Array, options?: unknown): unknown;
    compiler(value: unknown): string;
  };
  export default handler;
}
