import { mailwireProject } from '../../vitest.shared';

export default mailwireProject('mail-server', { fileParallelism: false });
