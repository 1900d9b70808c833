import { mailwireProject } from '../../vitest.shared';

export default mailwireProject('delivery');
