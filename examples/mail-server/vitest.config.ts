import { mailwireProject } from '../../vitest.shared.ts';

export default mailwireProject('mail-server', { fileParallelism: false });
