/** DKIM sign/verify throughput, @mailwire/auth vs mailauth 4.x (being written). */
export async function run(): Promise<string> {
  throw new Error('the dkim suite is not written yet');
}
