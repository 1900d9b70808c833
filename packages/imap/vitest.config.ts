import { mailwireProject } from '../../vitest.shared.ts';

export default mailwireProject('imap');
